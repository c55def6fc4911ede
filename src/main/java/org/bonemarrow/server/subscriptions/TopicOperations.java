package org.bonemarrow.server.subscriptions;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.util.List;
import java.util.Optional;
import org.bonemarrow.server.security.CallerIdentity;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Subscription;

/**
 * {@code GET Subscription/<id>/$events} (Backport IG, OperationDefinition backport-subscription-events):
 * past notifications of a topic Subscription, from the stored events, as a notification Bundle of type
 * {@code query-event}, so a client that was away recovers what it missed. Parameters: eventsSinceNumber,
 * eventsUntilNumber (inclusive, default the latest), content (empty | id-only | full-resource, default the
 * Subscription's). At most {@value #MAX_EVENTS} events per call; ask again from the next number.
 *
 * <p>Who: the client that created the Subscription (its results, not another client's); a Subscription the
 * server created is open to any client with the read scope on Subscription. Resources in the answer (id-only,
 * full-resource) need the caller's read scope on their type as well. The same check guards $status of a topic
 * Subscription ({@link #topicStatus}).
 */
public class TopicOperations {

	static final int MAX_EVENTS = 100;

	private final DaoRegistry daos;
	private final TopicEventStore store;
	private final String serverBase;

	public TopicOperations(DaoRegistry daos, TopicEventStore store, String serverBase) {
		this.daos = daos;
		this.store = store;
		this.serverBase = serverBase == null ? "" : serverBase.trim().replaceAll("/+$", "");
	}

	@Operation(name = "$events", idempotent = true, type = Subscription.class)
	public Bundle events(@IdParam IdType id, @OperationParam(name = "eventsSinceNumber", max = 1) StringType since,
			@OperationParam(name = "eventsUntilNumber", max = 1) StringType until,
			@OperationParam(name = "content", max = 1) StringType content, RequestDetails request) {
		Subscription subscription = read(id);
		TopicSubscription topic = TopicSubscription.read(subscription).subscription();
		if (topic == null) {
			throw new InvalidRequestException("Subscription/" + id.getIdPart() + " is not a topic-based Subscription: $events"
					+ " is for those (criteria Subscriptions: $status and $delivery-status)");
		}
		TopicEventStore.State state = allowed(topic, request);
		String wanted = content == null || content.isEmpty() ? topic.content() : content.getValue();
		if (!List.of(BackportIg.EMPTY, BackportIg.ID_ONLY, BackportIg.FULL_RESOURCE).contains(wanted)) {
			throw new InvalidRequestException("content must be empty, id-only or full-resource");
		}
		if (!BackportIg.EMPTY.equals(wanted)) {
			caller(request).filter(c -> !c.scopes().permits(topic.topic().resourceType(), 'r')).ifPresent(c -> {
				throw new ForbiddenOperationException("content " + wanted + " needs read scope on "
						+ topic.topic().resourceType() + "; ask for content=empty");
			});
		}
		long from = number(since, 1, "eventsSinceNumber");
		long to = number(until, state.events(), "eventsUntilNumber");
		List<TopicEventStore.Event> events = store.events(topic.id(), Math.max(1, from), to, MAX_EVENTS);
		return TopicNotifications.build(topic.id(), topic.topic().url(), subscription.getStatus().toCode(),
				TopicNotifications.QUERY_EVENT, state.events(), events, wanted, StoredFocus.reader(daos), serverBase,
				subscription.getError());
	}

	/**
	 * For {@code Subscription/<id>/$status}: the topic and the event count of a topic Subscription, when the
	 * caller may see them; empty for a criteria Subscription.
	 */
	public Optional<TopicEventStore.State> topicStatus(Subscription subscription, RequestDetails request) {
		TopicSubscription topic = TopicSubscription.read(subscription).subscription();
		return topic == null ? Optional.empty() : Optional.of(allowed(topic, request));
	}

	private TopicEventStore.State allowed(TopicSubscription topic, RequestDetails request) {
		TopicEventStore.State state = store.state(topic.id()).orElseThrow(
				() -> new ResourceNotFoundException("Subscription/" + topic.id() + " has no topic state"));
		Optional<CallerIdentity> caller = caller(request);
		if (state.owner() != null && caller.isPresent() && !state.owner().equals(caller.get().clientId())) {
			throw new ForbiddenOperationException("Subscription/" + topic.id() + " belongs to another client: its events"
					+ " and status are for the client that created it");
		}
		return state;
	}

	private Subscription read(IdType id) {
		try {
			return daos.getResourceDao(Subscription.class).read(id.toVersionless(), new SystemRequestDetails());
		} catch (ResourceGoneException e) {
			throw new ResourceNotFoundException("Subscription/" + id.getIdPart() + " was deleted");
		}
	}


	private static long number(StringType value, long otherwise, String name) {
		if (value == null || value.isEmpty()) {
			return otherwise;
		}
		try {
			return Long.parseLong(value.getValue().trim());
		} catch (NumberFormatException e) {
			throw new InvalidRequestException(name + " must be a whole number");
		}
	}

	private static Optional<CallerIdentity> caller(RequestDetails request) {
		return TopicSubscriptionRules.caller(request);
	}
}
