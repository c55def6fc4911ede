package org.bonemarrow.server.subscriptions;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bonemarrow.server.delivery.DeliveryOutbox;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.IdType;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Topic events, the transactional half: before a write of a report or an order commits, each published topic
 * that the write fires ({@link Topic#fires}) gives every active (or failing) Subscription of it whose filters
 * match an event: the next event number of that Subscription, the event's row, and an outbox delivery, all in
 * the write's own transaction. A write that is answered 2xx has its notifications owed with it; one that
 * fails owes nothing and uses no number.
 *
 * <p>The outbox row is keyed {@code Subscription/<id>} version {@code <event number>}: the outbox delivers the
 * rows of one receiver and key in order, so notifications reach the receiver in event-number order, after
 * its handshake (number 0), each retried until acknowledged.
 */
@Interceptor
public class TopicEventWriter {

	private static final Set<String> TOPIC_TYPES = Set.of("DiagnosticReport", "ServiceRequest");
	private static final Object RECORDED_IN_TRANSACTION = new Object();

	private final TopicEventStore store;
	private final DeliveryOutbox outbox;
	private final List<Topic> topics;
	private final java.util.function.BiPredicate<Topic, IBaseResource> isTopicProfile;

	/** @param isTopicProfile whether a resource is of the topic's exam profile (claimed or by its code) */
	public TopicEventWriter(TopicEventStore store, DeliveryOutbox outbox, List<Topic> topics,
			java.util.function.BiPredicate<Topic, IBaseResource> isTopicProfile) {
		this.store = store;
		this.outbox = outbox;
		this.topics = topics;
		this.isTopicProfile = isTopicProfile;
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
	public void created(IBaseResource resource) {
		record(null, resource);
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
	public void updated(IBaseResource previous, IBaseResource resource) {
		record(previous, resource);
	}

	private void record(IBaseResource previous, IBaseResource resource) {
		if (!TOPIC_TYPES.contains(resource.fhirType()) || !resource.getIdElement().hasVersionIdPart()) {
			return;
		}
		for (Topic topic : topics) {
			if (!topic.fires(previous, resource, r -> isTopicProfile.test(topic, r))) {
				continue;
			}
			String version = resource.getIdElement().toUnqualified().getValue();
			for (TopicEventStore.Subscriber subscriber : store.subscribers(topic.url())) {
				boolean matches = TopicSubscription.filtersFrom(subscriber.filters(), topic).stream()
						.allMatch(f -> f.matches(resource));
				if (!matches || !firstInThisTransaction(subscriber.subscriptionId() + "|" + version)) {
					continue;
				}
				long number = store.nextEventNumber(subscriber.subscriptionId());
				store.recordEvent(subscriber.subscriptionId(), number, topic.url(), version);
				outbox.enqueue(TopicChannel.NAME, subscriber.subscriptionId(),
						new IdType("Subscription", subscriber.subscriptionId(), Long.toString(number)), TopicChannel.EVENT, false);
			}
		}
	}

	/** HAPI may announce one stored version twice in a transaction (a conditional create answered by an update). */
	@SuppressWarnings("unchecked")
	private static boolean firstInThisTransaction(String key) {
		if (!TransactionSynchronizationManager.isSynchronizationActive()) {
			return true;
		}
		Set<String> recorded = (Set<String>) TransactionSynchronizationManager.getResource(RECORDED_IN_TRANSACTION);
		if (recorded == null) {
			recorded = new HashSet<>();
			TransactionSynchronizationManager.bindResource(RECORDED_IN_TRANSACTION, recorded);
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
				@Override
				public void afterCompletion(int status) {
					TransactionSynchronizationManager.unbindResourceIfPossible(RECORDED_IN_TRANSACTION);
				}
			});
		}
		return recorded.add(key);
	}
}
