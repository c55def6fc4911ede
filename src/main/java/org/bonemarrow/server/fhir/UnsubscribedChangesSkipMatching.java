package org.bonemarrow.server.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.subscription.match.matcher.subscriber.SubscriptionCriteriaParser;
import ca.uhn.fhir.jpa.subscription.match.registry.ActiveSubscription;
import ca.uhn.fhir.jpa.subscription.match.registry.SubscriptionRegistry;
import ca.uhn.fhir.jpa.subscription.model.ResourceModifiedMessage;
import java.time.Duration;
import java.util.Collection;
import java.util.function.LongSupplier;

/**
 * A stored resource goes through subscription matching only if some active Subscription could match its type.
 * <p>
 * HAPI queues every change for matching: a row in its persisted change queue, written after the commit and
 * deleted in a transaction of its own once matched, even when no Subscription exists for the type. Result
 * notifications subscribe to DiagnosticReport (and perhaps Task or ServiceRequest); an exam stores ten to
 * fifteen other resources. The queue and its matching were 17 % of server CPU during exam ingest
 * (BENCHMARKS.md).
 * <p>
 * What still goes through, so nothing a subscriber could receive is skipped:
 * <ul>
 *   <li>a type named by the criteria of a Subscription in HAPI's registry, which is also what HAPI's matcher
 *       matches against;</li>
 *   <li>everything, when a registered Subscription's criteria are {@code *} or unreadable, or it is
 *       topic-based;</li>
 *   <li>Subscription resources themselves (HAPI activates and registers them through this queue);</li>
 *   <li>everything, for {@link #GRACE} after a Subscription changed on this instance: HAPI registers a new
 *       one asynchronously, and a change stored in the meantime must still reach the matcher;</li>
 *   <li>everything, for {@link #GRACE} after start-up, while HAPI loads the stored Subscriptions, unless
 *       the database holds none ({@link #started}).</li>
 * </ul>
 * Another instance's new Subscription reaches this instance's registry through HAPI's periodic refresh; until
 * then HAPI's matcher here would not match it either (docs/scaling.md).
 */
@Interceptor
public class UnsubscribedChangesSkipMatching {

	/** Longer than HAPI takes to activate and register a new Subscription on the instance that stored it. */
	static final Duration GRACE = Duration.ofSeconds(60);

	private final FhirContext fhirContext;
	private final SubscriptionRegistry registry;
	private final LongSupplier clockMillis;
	/** Until HAPI has loaded the stored Subscriptions into its registry after a start (see {@link #started}). */
	private volatile long startupUntilMillis;
	/** Until a Subscription changed here is surely registered. */
	private volatile long changedUntilMillis;

	public UnsubscribedChangesSkipMatching(FhirContext fhirContext, SubscriptionRegistry registry) {
		this(fhirContext, registry, System::currentTimeMillis);
	}

	UnsubscribedChangesSkipMatching(FhirContext fhirContext, SubscriptionRegistry registry, LongSupplier clockMillis) {
		this.fhirContext = fhirContext;
		this.registry = registry;
		this.clockMillis = clockMillis;
		this.startupUntilMillis = clockMillis.getAsLong() + GRACE.toMillis();
	}

	/**
	 * Once the server is up: if the database holds no requested or active Subscription, there is nothing for
	 * HAPI's registry to load, and the start-up grace ends now rather than a minute into the first writes.
	 * Otherwise it runs its course, since HAPI loads them asynchronously.
	 */
	public void started(boolean subscriptionsStored) {
		if (!subscriptionsStored) {
			startupUntilMillis = 0;
		}
	}

	/** False stops HAPI from queueing (and matching) the change. */
	@Hook(Pointcut.SUBSCRIPTION_RESOURCE_MODIFIED)
	public boolean resourceModified(ResourceModifiedMessage message) {
		long now = clockMillis.getAsLong();
		if (message.hasResourceType(fhirContext, "Subscription")) {
			changedUntilMillis = now + GRACE.toMillis();
			return true;
		}
		if (now < startupUntilMillis || now < changedUntilMillis) {
			return true;
		}
		return couldMatch(message.getResourceType(fhirContext), registry.getAll());
	}

	static boolean couldMatch(String resourceType, Collection<ActiveSubscription> subscriptions) {
		for (ActiveSubscription active : subscriptions) {
			SubscriptionCriteriaParser.SubscriptionCriteria criteria = active.getCriteria();
			if (active.getSubscription().isTopicSubscription() || criteria == null
					|| criteria.getType() == SubscriptionCriteriaParser.TypeEnum.STARTYPE_EXPRESSION
					|| criteria.getApplicableResourceTypes() == null
					|| criteria.getApplicableResourceTypes().contains(resourceType)) {
				return true;
			}
		}
		return false;
	}
}
