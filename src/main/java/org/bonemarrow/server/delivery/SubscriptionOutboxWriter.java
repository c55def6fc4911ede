package org.bonemarrow.server.delivery;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.searchparam.matcher.InMemoryMatchResult;
import ca.uhn.fhir.jpa.subscription.match.matcher.matching.InMemorySubscriptionMatcher;
import ca.uhn.fhir.jpa.subscription.match.matcher.subscriber.SubscriptionCriteriaParser;
import ca.uhn.fhir.jpa.subscription.match.registry.ActiveSubscription;
import ca.uhn.fhir.jpa.subscription.match.registry.SubscriptionRegistry;
import ca.uhn.fhir.jpa.subscription.model.CanonicalSubscription;
import ca.uhn.fhir.jpa.subscription.model.CanonicalSubscriptionChannelType;
import ca.uhn.fhir.jpa.subscription.model.ResourceModifiedMessage;
import ca.uhn.fhir.rest.server.messaging.BaseResourceMessage.OperationTypeEnum;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * Rest-hook Subscriptions, the transactional half: before a write commits, each stored resource version is
 * matched against the active rest-hook Subscriptions in HAPI's registry, with HAPI's own in-memory matcher
 * (the same one its subscription pipeline uses), and each match becomes an outbox row in the write's own
 * transaction. Criteria HAPI cannot match in memory (chains, {@code _has}) are queued too, marked for the
 * dispatcher to ask the database once the write has committed. The registry is reloaded first when a
 * Subscription changed on another instance ({@link SubscriptionRegistryFreshness}).
 *
 * <p>Deletes are queued only for Subscriptions that ask for them (HAPI's send-delete-messages extension),
 * as HAPI does. AuditEvents and Subscriptions are never delivered (the audit trail is not for subscribers;
 * a Subscription is configuration).
 */
@Interceptor
public class SubscriptionOutboxWriter {

	private static final Set<String> NEVER_DELIVERED = Set.of("AuditEvent", "Subscription");

	private final FhirContext fhirContext;
	private final SubscriptionRegistry registry;
	private final InMemorySubscriptionMatcher matcher;
	private final DeliveryOutbox outbox;
	private final SubscriptionRegistryFreshness freshness;

	public SubscriptionOutboxWriter(FhirContext fhirContext, SubscriptionRegistry registry,
			InMemorySubscriptionMatcher matcher, DeliveryOutbox outbox, SubscriptionRegistryFreshness freshness) {
		this.fhirContext = fhirContext;
		this.registry = registry;
		this.matcher = matcher;
		this.outbox = outbox;
		this.freshness = freshness;
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
	public void created(IBaseResource resource) {
		queueMatches(resource, OperationTypeEnum.CREATE);
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
	public void updated(IBaseResource oldResource, IBaseResource newResource) {
		queueMatches(newResource, OperationTypeEnum.UPDATE);
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_DELETED)
	public void deleted(IBaseResource resource) {
		queueMatches(resource, OperationTypeEnum.DELETE);
	}

	private void queueMatches(IBaseResource resource, OperationTypeEnum operation) {
		String type = fhirContext.getResourceType(resource);
		if (NEVER_DELIVERED.contains(type) || !resource.getIdElement().hasVersionIdPart()) {
			return;
		}
		freshness.ensureFresh();
		ResourceModifiedMessage change = null;
		for (ActiveSubscription active : registry.getAll()) {
			CanonicalSubscription subscription = active.getSubscription();
			if (!isRestHook(subscription) || !namesType(active.getCriteria(), type)
					|| (operation == OperationTypeEnum.DELETE && !subscription.getSendDeleteMessages())) {
				continue;
			}
			if (change == null) {
				change = new ResourceModifiedMessage(fhirContext, resource, operation);
			}
			InMemoryMatchResult result = matcher.match(subscription, change);
			if (!result.supported()) {
				outbox.enqueue(DeliveryChannel.REST_HOOK, active.getId(), resource.getIdElement(), operation.name(), true);
			} else if (result.matched()) {
				outbox.enqueue(DeliveryChannel.REST_HOOK, active.getId(), resource.getIdElement(), operation.name(), false);
			}
		}
	}

	static boolean isRestHook(CanonicalSubscription subscription) {
		return subscription.getChannelType() == CanonicalSubscriptionChannelType.RESTHOOK
				&& !subscription.isTopicSubscription();
	}

	/** Whether the criteria could match this type at all (cheap, before the matcher runs). */
	static boolean namesType(SubscriptionCriteriaParser.SubscriptionCriteria criteria, String type) {
		return criteria == null || criteria.getType() == SubscriptionCriteriaParser.TypeEnum.STARTYPE_EXPRESSION
				|| criteria.getApplicableResourceTypes() == null || criteria.getApplicableResourceTypes().contains(type);
	}
}
