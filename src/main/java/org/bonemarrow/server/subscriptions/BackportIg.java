package org.bonemarrow.server.subscriptions;

/**
 * Canonical URLs of the R4 Subscriptions Backport IG (hl7.fhir.uv.subscriptions-backport 1.1.0) this server
 * reads and writes. In R4 a topic-based Subscription is an R4 {@code Subscription} that claims the
 * backport-subscription profile, names the topic's canonical URL in {@code criteria} and carries the R5 elements
 * the R4 resource lacks as these extensions.
 */
public final class BackportIg {

	private static final String SD = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/";

	/** Subscription.meta.profile of a topic-based Subscription (HAPI recognises it by this profile too). */
	public static final String SUBSCRIPTION_PROFILE = SD + "backport-subscription";
	/** The Parameters resource that opens every notification, $status and $events Bundle. */
	public static final String STATUS_PROFILE = SD + "backport-subscription-status-r4";
	/** The notification Bundle (type history). */
	public static final String NOTIFICATION_PROFILE = SD + "backport-subscription-notification-r4";
	/** On Subscription.criteria: a filter in search syntax, e.g. {@code DiagnosticReport?patient=Patient/123}. */
	public static final String FILTER_CRITERIA = SD + "backport-filter-criteria";
	/** On Subscription.channel.payload: empty | id-only | full-resource. */
	public static final String PAYLOAD_CONTENT = SD + "backport-payload-content";
	/** On Subscription.channel: seconds between heartbeats when nothing else was sent. */
	public static final String HEARTBEAT_PERIOD = SD + "backport-heartbeat-period";
	/** On Subscription.channel: seconds the receiver may take to answer. */
	public static final String TIMEOUT = SD + "backport-timeout";
	/** On Subscription.channel: most events in one notification. */
	public static final String MAX_COUNT = SD + "backport-max-count";
	/** On CapabilityStatement.rest.resource (Subscription): a topic this server publishes. */
	public static final String CAPABILITY_TOPIC_CANONICAL = SD + "capabilitystatement-subscriptiontopic-canonical";

	public static final String EMPTY = "empty";
	public static final String ID_ONLY = "id-only";
	public static final String FULL_RESOURCE = "full-resource";

	private BackportIg() {}
}
