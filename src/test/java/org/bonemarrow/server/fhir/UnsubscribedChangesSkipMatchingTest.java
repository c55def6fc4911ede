package org.bonemarrow.server.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.subscription.match.registry.ActiveSubscription;
import ca.uhn.fhir.jpa.subscription.match.registry.SubscriptionRegistry;
import ca.uhn.fhir.jpa.subscription.model.CanonicalSubscription;
import ca.uhn.fhir.jpa.subscription.model.ResourceModifiedMessage;
import ca.uhn.fhir.rest.server.messaging.BaseResourceMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.Subscription;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which stored resources still reach HAPI's subscription matching, and which are skipped. */
class UnsubscribedChangesSkipMatchingTest {

	private static final FhirContext CTX = FhirContext.forR4Cached();
	private final SubscriptionRegistry registry = mock(SubscriptionRegistry.class);
	private final List<ActiveSubscription> active = new ArrayList<>();
	private final AtomicLong now = new AtomicLong(1_000_000);
	private UnsubscribedChangesSkipMatching hook;

	@BeforeEach
	void startedLongAgo() {
		when(registry.getAll()).thenReturn(active);
		hook = new UnsubscribedChangesSkipMatching(CTX, registry, now::get);
		pastTheGraceWindow();
	}

	@Test
	void withoutSubscriptions_nothingIsQueued() {
		assertThat(hook.resourceModified(message(new Observation(), "Observation/1"))).isFalse();
		assertThat(hook.resourceModified(message(new DiagnosticReport(), "DiagnosticReport/2"))).isFalse();
	}

	@Test
	void aSubscribedTypeIsQueued_otherTypesAreNot() {
		active.add(subscription("DiagnosticReport?status=final"));
		assertThat(hook.resourceModified(message(new DiagnosticReport(), "DiagnosticReport/2"))).isTrue();
		assertThat(hook.resourceModified(message(new Observation(), "Observation/1"))).isFalse();
	}

	@Test
	void aMultiTypeCriteriaQueuesEachOfItsTypes() {
		active.add(subscription("[Observation,DiagnosticReport]?status=final"));
		assertThat(hook.resourceModified(message(new Observation(), "Observation/1"))).isTrue();
		assertThat(hook.resourceModified(message(new DiagnosticReport(), "DiagnosticReport/2"))).isTrue();
	}

	@Test
	void aWildcardCriteriaQueuesEverything() {
		active.add(subscription("[*]"));
		assertThat(hook.resourceModified(message(new Observation(), "Observation/1"))).isTrue();
	}

	@Test
	void subscriptionsThemselvesAlwaysGoThrough_andOpenAGraceWindowForEverything() {
		assertThat(hook.resourceModified(message(new Subscription(), "Subscription/9"))).isTrue();
		// HAPI registers the new Subscription asynchronously: until then, nothing may be skipped.
		now.addAndGet(UnsubscribedChangesSkipMatching.GRACE.toMillis() - 1);
		assertThat(hook.resourceModified(message(new Observation(), "Observation/1"))).isTrue();
		now.addAndGet(2);
		assertThat(hook.resourceModified(message(new Observation(), "Observation/1"))).isFalse();
	}

	@Test
	void rightAfterStart_everythingGoesThrough_whileStoredSubscriptionsAreLoaded() {
		UnsubscribedChangesSkipMatching fresh = new UnsubscribedChangesSkipMatching(CTX, registry, now::get);
		fresh.started(true);
		assertThat(fresh.resourceModified(message(new Observation(), "Observation/1"))).isTrue();
		now.addAndGet(UnsubscribedChangesSkipMatching.GRACE.toMillis() + 1);
		assertThat(fresh.resourceModified(message(new Observation(), "Observation/1"))).isFalse();
	}

	@Test
	void withNoSubscriptionStored_theStartupGraceEndsOnceTheServerIsUp() {
		UnsubscribedChangesSkipMatching fresh = new UnsubscribedChangesSkipMatching(CTX, registry, now::get);
		assertThat(fresh.resourceModified(message(new Observation(), "Observation/1"))).isTrue();
		fresh.started(false);
		assertThat(fresh.resourceModified(message(new Observation(), "Observation/1"))).isFalse();
	}

	@Test
	void endingTheStartupGrace_keepsTheGraceOfASubscriptionJustStored() {
		UnsubscribedChangesSkipMatching fresh = new UnsubscribedChangesSkipMatching(CTX, registry, now::get);
		fresh.resourceModified(message(new Subscription(), "Subscription/9"));
		fresh.started(false);
		assertThat(fresh.resourceModified(message(new Observation(), "Observation/1"))).isTrue();
	}

	private void pastTheGraceWindow() {
		now.addAndGet(UnsubscribedChangesSkipMatching.GRACE.toMillis() + 1);
	}

	private static ActiveSubscription subscription(String criteria) {
		CanonicalSubscription canonical = new CanonicalSubscription();
		canonical.setIdElement(new IdType("Subscription/s1"));
		canonical.setCriteriaString(criteria);
		return new ActiveSubscription(canonical, "channel");
	}

	private static ResourceModifiedMessage message(Resource resource, String id) {
		resource.setId(id + "/_history/1");
		return new ResourceModifiedMessage(CTX, resource, BaseResourceMessage.OperationTypeEnum.CREATE, null,
				RequestPartitionId.defaultPartition());
	}
}
