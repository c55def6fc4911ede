package org.bonemarrow.server.subscriptions;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.UriParam;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bonemarrow.server.delivery.Delivery;
import org.bonemarrow.server.delivery.DeliveryChannel;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.Subscription.SubscriptionStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Topic-based Subscriptions, the delivery half: one attempt of one outbox row, either the handshake (row
 * version 0) or event notification number n, as the Backport IG's history Bundle POSTed to the endpoint,
 * with the delivery's identity in {@code X-Delivery-Id} (the same on every retry). The Subscription is read at
 * each attempt (an endpoint corrected meanwhile is used; deleted or off cancels what is pending).
 *
 * <p>Status, as the IG describes it: a handshake answered 2xx makes a requested Subscription active; a failed
 * attempt (handshake or event) puts it in {@code error} (Subscription.error says why), and it keeps being
 * retried by the outbox; the next success makes it active again. Events keep being recorded while it is in
 * error, so nothing is missed.
 */
public class TopicChannel implements DeliveryChannel {

	public static final String NAME = "topic";
	static final String HANDSHAKE = "HANDSHAKE";
	static final String EVENT = "EVENT";
	private static final Logger log = LoggerFactory.getLogger(TopicChannel.class);

	private final FhirContext fhirContext;
	private final DaoRegistry daos;
	private final TopicEventStore store;
	private final NotificationSender sender;
	private final String serverBase;

	public TopicChannel(FhirContext fhirContext, DaoRegistry daos, TopicEventStore store, NotificationSender sender,
			String serverBase) {
		this.fhirContext = fhirContext;
		this.daos = daos;
		this.store = store;
		this.sender = sender;
		this.serverBase = serverBase == null ? "" : serverBase.trim().replaceAll("/+$", "");
	}

	@Override
	public String name() {
		return NAME;
	}

	@Override
	public List<Receiver> receivers() {
		SearchParameterMap topics = SearchParameterMap.newSynchronous("_profile", new UriParam(BackportIg.SUBSCRIPTION_PROFILE));
		topics.setCount(1000);
		List<Receiver> receivers = new ArrayList<>();
		for (IBaseResource r : daos.getResourceDao("Subscription").search(topics, new SystemRequestDetails()).getAllResources()) {
			Subscription s = (Subscription) r;
			receivers.add(new Receiver(s.getIdElement().getIdPart(), s.getChannel().getEndpoint()));
		}
		return receivers;
	}

	@Override
	public Duration longestAttempt() {
		return sender.longest();
	}

	@Override
	public Outcome attempt(Delivery delivery) {
		Subscription subscription;
		try {
			subscription = daos.getResourceDao(Subscription.class).read(new IdType("Subscription", delivery.receiver()),
					new SystemRequestDetails());
		} catch (ResourceNotFoundException | ResourceGoneException e) {
			return Outcome.cancelled("Subscription deleted");
		}
		if (subscription.getStatus() == SubscriptionStatus.OFF) {
			return Outcome.cancelled("Subscription is off");
		}
		TopicSubscription topic = TopicSubscription.read(subscription).subscription();
		if (topic == null) {
			return Outcome.cancelled("Subscription is no longer a valid topic Subscription");
		}
		long number = new IdType(delivery.resource()).getVersionIdPartAsLong();
		Bundle notification;
		long eventsSoFar = store.state(topic.id()).map(TopicEventStore.State::events).orElse(0L);
		if (HANDSHAKE.equals(delivery.operation())) {
			notification = TopicNotifications.build(topic.id(), topic.topic().url(), subscription.getStatus().toCode(),
					TopicNotifications.HANDSHAKE, eventsSoFar, List.of(), BackportIg.EMPTY, null, serverBase, null);
		} else {
			Optional<TopicEventStore.Event> event = store.event(topic.id(), number);
			if (event.isEmpty()) {
				return Outcome.cancelled("event " + number + " is not recorded");
			}
			notification = TopicNotifications.build(topic.id(), topic.topic().url(), statusWhenSent(subscription),
					TopicNotifications.EVENT_NOTIFICATION, Math.max(eventsSoFar, number), List.of(event.get()), topic.content(),
					StoredFocus.reader(daos), serverBase, null);
		}
		String failure = send(topic, delivery.messageId(), notification);
		if (failure == null) {
			store.sent(topic.id());
			if (subscription.getStatus() != SubscriptionStatus.ACTIVE) {
				setStatus(topic.id(), SubscriptionStatus.ACTIVE, null);
			}
			return Outcome.delivered();
		}
		if (subscription.getStatus() != SubscriptionStatus.ERROR || !failure.equals(subscription.getError())) {
			setStatus(topic.id(), SubscriptionStatus.ERROR, failure);
		}
		return Outcome.failed(failure);
	}

	/** A heartbeat, sent now and not retried (the next one follows a period later). True when acknowledged. */
	public boolean heartbeat(String subscriptionId) {
		Subscription subscription;
		try {
			subscription = daos.getResourceDao(Subscription.class).read(new IdType("Subscription", subscriptionId),
					new SystemRequestDetails());
		} catch (ResourceNotFoundException | ResourceGoneException e) {
			return false;
		}
		TopicSubscription topic = TopicSubscription.read(subscription).subscription();
		if (topic == null || subscription.getStatus() != SubscriptionStatus.ACTIVE) {
			return false;
		}
		long eventsSoFar = store.state(topic.id()).map(TopicEventStore.State::events).orElse(0L);
		Bundle notification = TopicNotifications.build(topic.id(), topic.topic().url(), "active",
				TopicNotifications.HEARTBEAT, eventsSoFar, List.of(), BackportIg.EMPTY, null, serverBase, null);
		String failure = send(topic, null, notification);
		if (failure != null) {
			log.warn("Heartbeat to Subscription/{} failed ({})", subscriptionId, failure);
		}
		return failure == null;
	}

	/** The status a receiver is told with an event: active, since this one is arriving. */
	private static String statusWhenSent(Subscription subscription) {
		return subscription.getStatus() == SubscriptionStatus.REQUESTED ? "requested" : "active";
	}


	/** Null when the endpoint answered 2xx, else what went wrong (status code or exception type, never content). */
	private String send(TopicSubscription topic, String deliveryId, Bundle notification) {
		try {
			int status = sender.post(topic.endpoint(), topic.headers(), deliveryId,
					fhirContext.newJsonParser().encodeResourceToString(notification), topic.timeoutSeconds());
			return status >= 200 && status < 300 ? null : "HTTP " + status;
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			return "interrupted";
		} catch (Exception e) {
			return "no connection (" + e.getClass().getSimpleName() + ")";
		}
	}

	/**
	 * The server's own status change (TopicSubscriptionRules lets only these through). Tried a few times: a
	 * client may have written the Subscription meanwhile (version conflict), and a handshake acknowledged but
	 * not recorded as active would leave it requested, owed no events.
	 */
	private void setStatus(String subscriptionId, SubscriptionStatus status, String error) {
		RuntimeException last = null;
		for (int attempt = 0; attempt < 3; attempt++) {
			try {
				SystemRequestDetails lifecycle = new SystemRequestDetails();
				lifecycle.getUserData().put(TopicSubscriptionRules.LIFECYCLE, Boolean.TRUE);
				Subscription current = daos.getResourceDao(Subscription.class)
						.read(new IdType("Subscription", subscriptionId), lifecycle);
				if (current.getStatus() == SubscriptionStatus.OFF) {
					return;
				}
				current.setStatus(status);
				current.setError(error);
				daos.getResourceDao(Subscription.class).update(current, lifecycle);
				return;
			} catch (ResourceNotFoundException | ResourceGoneException e) {
				return;
			} catch (RuntimeException e) {
				last = e;
			}
		}
		log.warn("Subscription/{} not set {} ({}); a later delivery sets it, or the client asks for a new handshake (status requested)", subscriptionId, status.toCode(),
				last.getClass().getSimpleName());
	}
}
