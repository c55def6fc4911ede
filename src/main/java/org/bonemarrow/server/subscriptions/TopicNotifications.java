package org.bonemarrow.server.subscriptions;

import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Parameters.ParametersParameterComponent;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;

/**
 * The Backport IG's notification Bundle for R4 ("Notifications", backport-subscription-notification-r4): a
 * {@code history} Bundle whose first entry is a {@code Parameters} of the backport-subscription-status-r4
 * profile (subscription, topic, status, type, events-since-subscription-start, one notification-event per
 * event with event-number, timestamp and focus, and error), followed, for id-only and full-resource content,
 * by an entry per focus resource (full-resource: with the resource). The same shape answers $events
 * ({@code query-event}). Pure.
 */
public final class TopicNotifications {

	public static final String HANDSHAKE = "handshake";
	public static final String HEARTBEAT = "heartbeat";
	public static final String EVENT_NOTIFICATION = "event-notification";
	public static final String QUERY_STATUS = "query-status";
	public static final String QUERY_EVENT = "query-event";

	private TopicNotifications() {}

	/**
	 * @param subscriptionId   the Subscription's id
	 * @param topicUrl         its topic
	 * @param status           the Subscription's status (requested, active, error, off)
	 * @param type             one of the constants above
	 * @param eventsSinceStart the Subscription's event count so far
	 * @param events           the events carried (none for handshake, heartbeat, query-status)
	 * @param content          empty | id-only | full-resource
	 * @param focusResource    reads a focus version ({@code Type/id/_history/n}) for full-resource; null when it is gone
	 * @param serverBase       this server's base URL for fullUrl, or empty (then fullUrl is {@code Type/id})
	 * @param error            why deliveries are failing, or null
	 */
	public static Bundle build(String subscriptionId, String topicUrl, String status, String type, long eventsSinceStart,
			List<TopicEventStore.Event> events, String content, Function<String, Resource> focusResource, String serverBase,
			String error) {
		Parameters parameters = status(subscriptionId, topicUrl, status, type, eventsSinceStart, error);
		for (TopicEventStore.Event event : events) {
			ParametersParameterComponent e = parameters.addParameter().setName("notification-event");
			e.addPart().setName("event-number").setValue(new StringType(Long.toString(event.number())));
			e.addPart().setName("timestamp").setValue(new InstantType(Date.from(event.occurred())));
			if (!BackportIg.EMPTY.equals(content)) {
				e.addPart().setName("focus").setValue(new Reference(versionless(event.focus())));
			}
		}
		Bundle bundle = new Bundle().setType(Bundle.BundleType.HISTORY);
		bundle.getMeta().addProfile(BackportIg.NOTIFICATION_PROFILE);
		bundle.setTimestamp(new Date());
		Bundle.BundleEntryComponent first = bundle.addEntry().setFullUrl("urn:uuid:" + UUID.randomUUID())
				.setResource(parameters);
		first.getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl("Subscription/" + subscriptionId + "/$status");
		first.getResponse().setStatus("200");
		if (BackportIg.EMPTY.equals(content)) {
			return bundle;
		}
		for (TopicEventStore.Event event : events) {
			IdType focus = new IdType(event.focus());
			String versionless = versionless(event.focus());
			Bundle.BundleEntryComponent entry = bundle.addEntry()
					.setFullUrl(serverBase == null || serverBase.isBlank() ? versionless : serverBase + "/" + versionless);
			if (BackportIg.FULL_RESOURCE.equals(content) && focusResource != null) {
				Resource resource = focusResource.apply(event.focus());
				if (resource != null) {
					entry.setResource(resource);
				}
			}
			boolean created = "1".equals(focus.getVersionIdPart());
			entry.getRequest().setMethod(created ? Bundle.HTTPVerb.POST : Bundle.HTTPVerb.PUT)
					.setUrl(created ? focus.getResourceType() : versionless);
			entry.getResponse().setStatus(created ? "201" : "200");
		}
		return bundle;
	}

	/** The status Parameters alone (the first entry of every notification and of $status). */
	public static Parameters status(String subscriptionId, String topicUrl, String status, String type,
			long eventsSinceStart, String error) {
		Parameters p = new Parameters();
		p.setId(UUID.randomUUID().toString());
		p.getMeta().addProfile(BackportIg.STATUS_PROFILE);
		p.addParameter().setName("subscription").setValue(new Reference("Subscription/" + subscriptionId));
		p.addParameter().setName("topic").setValue(new CanonicalType(topicUrl));
		p.addParameter().setName("status").setValue(new CodeType(status));
		p.addParameter().setName("type").setValue(new CodeType(type));
		// integer64 in R5; the Backport IG carries it as a string in R4.
		p.addParameter().setName("events-since-subscription-start").setValue(new StringType(Long.toString(eventsSinceStart)));
		if (error != null) {
			p.addParameter().setName("error").setValue(new CodeableConcept().setText(error));
		}
		return p;
	}

	static String versionless(String version) {
		return new IdType(version).toUnqualifiedVersionless().getValue();
	}
}
