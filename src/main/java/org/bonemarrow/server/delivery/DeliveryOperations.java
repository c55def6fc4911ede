package org.bonemarrow.server.delivery;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Operation;
import ca.uhn.fhir.rest.annotation.OperationParam;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.bonemarrow.server.delivery.DeliveryOutbox.ReceiverCounts;
import org.bonemarrow.server.delivery.DeliveryOutbox.Row;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Parameters.ParametersParameterComponent;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Subscription;

/**
 * The outbox over FHIR, for integration engineers and auditors:
 * <ul>
 *   <li>{@code GET Subscription/<id>/$status}: the R4 Subscriptions Backport IG's status shape (a searchset
 *       Bundle holding one Parameters: subscription, status, type {@code query-status},
 *       events-since-subscription-start, error) plus the outbox's counts, last success, last error and dead
 *       letters;</li>
 *   <li>{@code GET $delivery-status}: the same for every receiver, rest-hook Subscriptions and HL7 v2
 *       receivers alike ({@code receiver=Subscription/<id>} or {@code hl7v2/<id>} to pick one);</li>
 *   <li>{@code POST $replay} with {@code delivery=BMD<n>} (one dead letter) or {@code receiver=...} (all of
 *       that receiver's dead letters): pending again, due now, with a fresh retry window and the same identity;</li>
 *   <li>{@code POST <Type>/<id>/$resend} with {@code receiver=...}: the resource's current version is queued
 *       for that receiver once more (Medplum's {@code $resend}), as a new delivery.</li>
 * </ul>
 * Replays and resends are audited with the client that asked. Who may call which is decided by the SMART
 * scope rules (read or update scope on Subscription).
 */
public class DeliveryOperations {

	static final int MAX_LISTED = 100;
	static final String V2_PREFIX = DeliveryChannel.HL7V2 + "/";
	static final String SUBSCRIPTION_PREFIX = "Subscription/";

	private final DeliveryOutbox outbox;
	private final List<DeliveryChannel> channels;
	private final DeliveryAudit audit;
	private final DaoRegistry daos;
	private final Function<RequestDetails, String> callers;
	private final TopicStatus topics;

	/**
	 * What $status adds for a topic-based Subscription (package subscriptions): its outbox channel, topic and
	 * event count; empty for a criteria Subscription. May refuse the caller (another client's Subscription).
	 */
	@FunctionalInterface
	public interface TopicStatus {
		Optional<TopicFacts> of(Subscription subscription, RequestDetails request);

		TopicStatus NONE = (s, r) -> Optional.empty();

		record TopicFacts(String channel, String topic, long events) {}
	}

	/** @param callers the OAuth client of a request, for the audit trail (null when unknown) */
	public DeliveryOperations(DeliveryOutbox outbox, List<DeliveryChannel> channels, DeliveryAudit audit, DaoRegistry daos,
			Function<RequestDetails, String> callers, TopicStatus topics) {
		this.outbox = outbox;
		this.channels = channels;
		this.audit = audit;
		this.daos = daos;
		this.callers = callers;
		this.topics = topics;
	}

	@Operation(name = "$status", idempotent = true, type = Subscription.class)
	public Bundle subscriptionStatus(@IdParam IdType id, RequestDetails request) {
		Subscription subscription = daos.getResourceDao(Subscription.class).read(id.toVersionless(),
				new SystemRequestDetails());
		String receiver = subscription.getIdElement().getIdPart();
		Optional<TopicStatus.TopicFacts> topic = topics.of(subscription, request);
		ReceiverCounts counts = outbox.counts(topic.map(TopicStatus.TopicFacts::channel).orElse(DeliveryChannel.REST_HOOK),
				receiver);
		Parameters status = new Parameters();
		status.getMeta().addProfile("http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4");
		status.addParameter().setName("subscription").setValue(new Reference(SUBSCRIPTION_PREFIX + receiver));
		topic.ifPresent(t -> status.addParameter().setName("topic").setValue(new CanonicalType(t.topic())));
		if (subscription.hasStatus()) {
			status.addParameter().setName("status").setValue(new CodeType(subscription.getStatus().toCode()));
		}
		status.addParameter().setName("type").setValue(new CodeType("query-status"));
		// A topic Subscription counts its events (the handshake is not one); a criteria one its deliveries.
		long events = topic.map(TopicStatus.TopicFacts::events).orElse(counts.total());
		status.addParameter().setName("events-since-subscription-start").setValue(new StringType(Long.toString(events)));
		if (counts.lastError() != null && (counts.pending() > 0 || counts.dead() > 0)) {
			status.addParameter().setName("error").setValue(new CodeableConcept().setText(counts.lastError()));
		}
		addCounts(status.addParameter().setName("delivery"), counts, subscription.getChannel().getEndpoint());
		Bundle bundle = new Bundle().setType(Bundle.BundleType.SEARCHSET);
		bundle.setTotal(1);
		bundle.addEntry().setResource(status).getSearch().setMode(Bundle.SearchEntryMode.MATCH);
		return bundle;
	}

	@Operation(name = "$delivery-status", idempotent = true)
	public Parameters deliveryStatus(@OperationParam(name = "receiver", max = 1) StringType receiver) {
		Map<String, ReceiverCounts> counts = new LinkedHashMap<>();
		Map<String, String> endpoints = new LinkedHashMap<>();
		for (DeliveryChannel channel : channels) {
			for (DeliveryChannel.Receiver r : channel.receivers()) {
				String name = receiverName(channel.name(), r.id());
				counts.put(name, ReceiverCounts.none(channel.name(), r.id()));
				endpoints.put(name, r.endpoint());
			}
		}
		Parameters out = new Parameters();
		if (receiver != null) {
			String[] channelAndId = channelOf(parseReceiver(receiver.getValue()));
			String name = receiverName(channelAndId[0], channelAndId[1]);
			ReceiverCounts one = outbox.counts(channelAndId[0], channelAndId[1]);
			if (one.total() == 0 && !counts.containsKey(name)) {
				throw new ResourceNotFoundException("No receiver " + name + " (expected Subscription/<id> or hl7v2/<id>)");
			}
			addCounts(out.addParameter().setName("receiver"), one, endpoints.get(name));
			return out;
		}
		// Receivers no longer configured or stored still show what they were owed.
		for (ReceiverCounts c : outbox.counts()) {
			counts.put(receiverName(c.channel(), c.receiver()), c);
		}
		counts.forEach((name, c) -> addCounts(out.addParameter().setName("receiver"), c, endpoints.get(name)));
		return out;
	}

	@Operation(name = "$replay")
	public Parameters replay(@OperationParam(name = "delivery", max = 1) StringType delivery,
			@OperationParam(name = "receiver", max = 1) StringType receiver, RequestDetails request) {
		if ((delivery == null) == (receiver == null)) {
			throw new InvalidRequestException("$replay takes either delivery=BMD<n> (one dead letter) or receiver="
					+ "Subscription/<id> | hl7v2/<id> (all its dead letters)");
		}
		List<Delivery> replayed = new ArrayList<>();
		if (delivery != null) {
			replayed.add(replayDeadLetter(delivery.getValue()));
		} else {
			String[] channelAndId = channelOf(parseReceiver(receiver.getValue()));
			ReceiverCounts owed = outbox.counts(channelAndId[0], channelAndId[1]);
			if (owed.total() == 0 && !isKnown(channelAndId)) {
				// A mistyped receiver is an error, not "nothing replayed".
				throw new ResourceNotFoundException("No receiver " + receiver.getValue());
			}
			for (Row row : outbox.deadLetters(channelAndId[0], channelAndId[1], 10_000)) {
				if (outbox.replay(row.delivery().id())) {
					replayed.add(row.delivery());
				}
			}
		}
		String client = callers.apply(request);
		replayed.forEach(d -> audit.requested("replay", client, d));
		Parameters out = new Parameters();
		out.addParameter().setName("replayed").setValue(new IntegerType(replayed.size()));
		replayed.stream().limit(MAX_LISTED)
				.forEach(d -> out.addParameter().setName("delivery").setValue(new StringType(d.messageId())));
		return out;
	}

	/**
	 * One dead letter pending again (what {@code $replay} with {@code delivery=} does, and the console's replay
	 * button); the caller audits who asked.
	 *
	 * @param delivery {@code BMD<n>} or {@code <n>}
	 * @throws ResourceNotFoundException         no such delivery
	 * @throws ResourceVersionConflictException not (or no longer) a dead letter
	 */
	public Delivery replayDeadLetter(String delivery) {
		long id = Delivery.parseId(delivery);
		Row row = (id < 0 ? Optional.<Row>empty() : outbox.find(id)).orElseThrow(
				() -> new ResourceNotFoundException("No delivery " + delivery));
		if (!DeliveryOutbox.DEAD.equals(row.state()) || !outbox.replay(id)) {
			throw new ResourceVersionConflictException("Delivery " + row.delivery().messageId() + " is "
					+ row.state().toLowerCase() + ", not a dead letter: nothing to replay");
		}
		return row.delivery();
	}

	@Operation(name = "$resend", global = true)
	public Parameters resend(@IdParam IIdType id, @OperationParam(name = "receiver", min = 1, max = 1) StringType receiver,
			RequestDetails request) {
		if (receiver == null || receiver.isEmpty()) {
			throw new InvalidRequestException("$resend needs receiver=Subscription/<id> or hl7v2/<id>");
		}
		String[] channelAndId = parseReceiver(receiver.getValue());
		String type = id.getResourceType() != null ? id.getResourceType() : request.getResourceName();
		IBaseResource current = daos.getResourceDao(type).read(new IdType(type, id.getIdPart()), new SystemRequestDetails());
		checkReceiver(channelAndId, type);
		IIdType version = current.getIdElement().toUnqualified();
		long queued = outbox.enqueue(channelAndId[0], channelAndId[1], version, "UPDATE", false);
		Delivery d = new Delivery(queued, channelAndId[0], channelAndId[1], version.getValue(), "UPDATE", false,
				Instant.now(), 0);
		audit.requested("resend", callers.apply(request), d);
		Parameters out = new Parameters();
		out.addParameter().setName("delivery").setValue(new StringType(d.messageId()));
		ParametersParameterComponent queuedPart = out.addParameter().setName("queued");
		version(queuedPart, version.getValue());
		return out;
	}

	/** The receiver must exist now: a stored rest-hook Subscription, or a configured HL7 v2 receiver (reports only). */
	private void checkReceiver(String[] channelAndId, String type) {
		DeliveryChannel channel = channels.stream().filter(c -> c.name().equals(channelAndId[0])).findFirst()
				.orElseThrow(() -> new ResourceNotFoundException("No " + channelAndId[0] + " channel"));
		if (!channel.receivers().stream().anyMatch(r -> r.id().equals(channelAndId[1]))) {
			throw new ResourceNotFoundException("No receiver " + receiverName(channelAndId[0], channelAndId[1]));
		}
		if (DeliveryChannel.HL7V2.equals(channelAndId[0]) && !"DiagnosticReport".equals(type)) {
			throw new UnprocessableEntityException("An HL7 v2 receiver is sent reports (ORU^R01): resend a DiagnosticReport");
		}
	}

	private boolean isKnown(String[] channelAndId) {
		return channels.stream().filter(c -> c.name().equals(channelAndId[0]))
				.anyMatch(c -> c.receivers().stream().anyMatch(r -> r.id().equals(channelAndId[1])));
	}

	/**
	 * A {@code Subscription/<id>} is a rest-hook receiver unless another channel (topic-based Subscriptions)
	 * lists it: their deliveries are kept under that channel's name.
	 */
	private String[] channelOf(String[] channelAndId) {
		if (!DeliveryChannel.REST_HOOK.equals(channelAndId[0])) {
			return channelAndId;
		}
		return channels.stream().filter(c -> !c.name().equals(DeliveryChannel.REST_HOOK) && !c.name().equals(DeliveryChannel.HL7V2))
				.filter(c -> c.receivers().stream().anyMatch(r -> r.id().equals(channelAndId[1]))).findFirst()
				.map(c -> new String[] {c.name(), channelAndId[1]}).orElse(channelAndId);
	}

	/** {@code Subscription/<id>} or {@code hl7v2/<id>} as {channel, id}; 400 otherwise. */
	static String[] parseReceiver(String value) {
		if (value != null && value.startsWith(SUBSCRIPTION_PREFIX) && value.length() > SUBSCRIPTION_PREFIX.length()) {
			return new String[] {DeliveryChannel.REST_HOOK, value.substring(SUBSCRIPTION_PREFIX.length())};
		}
		if (value != null && value.startsWith(V2_PREFIX) && value.length() > V2_PREFIX.length()) {
			return new String[] {DeliveryChannel.HL7V2, value.substring(V2_PREFIX.length())};
		}
		throw new InvalidRequestException("receiver must be Subscription/<id> or hl7v2/<id>");
	}

	public static String receiverName(String channel, String id) {
		return (DeliveryChannel.HL7V2.equals(channel) ? V2_PREFIX : SUBSCRIPTION_PREFIX) + id;
	}

	private void addCounts(ParametersParameterComponent part, ReceiverCounts c, String endpoint) {
		part.addPart().setName("receiver").setValue(new StringType(receiverName(c.channel(), c.receiver())));
		part.addPart().setName("channel").setValue(new CodeType(c.channel()));
		if (endpoint != null) {
			part.addPart().setName("endpoint").setValue(new StringType(endpoint));
		}
		part.addPart().setName("pending").setValue(new IntegerType(Math.toIntExact(Math.min(c.pending(), Integer.MAX_VALUE))));
		part.addPart().setName("delivered").setValue(new IntegerType(Math.toIntExact(Math.min(c.delivered(), Integer.MAX_VALUE))));
		part.addPart().setName("dead-letters").setValue(new IntegerType(Math.toIntExact(Math.min(c.dead(), Integer.MAX_VALUE))));
		part.addPart().setName("cancelled").setValue(new IntegerType(Math.toIntExact(Math.min(c.cancelled(), Integer.MAX_VALUE))));
		instant(part, "oldest-pending", c.oldestPending());
		instant(part, "last-delivered", c.lastDelivered());
		instant(part, "last-error-time", c.lastErrorAt());
		if (c.lastError() != null) {
			part.addPart().setName("last-error").setValue(new StringType(c.lastError()));
		}
		if (c.dead() > 0) {
			for (Row row : outbox.deadLetters(c.channel(), c.receiver(), MAX_LISTED)) {
				ParametersParameterComponent dead = part.addPart().setName("dead-letter");
				dead.addPart().setName("delivery").setValue(new StringType(row.delivery().messageId()));
				version(dead, row.delivery().resource());
				dead.addPart().setName("attempts").setValue(new IntegerType(row.delivery().attempts()));
				instant(dead, "due", row.delivery().due());
				instant(dead, "last-attempt", row.lastAttempt());
				if (row.lastError() != null) {
					dead.addPart().setName("last-error").setValue(new StringType(row.lastError()));
				}
			}
		}
	}

	/**
	 * The resource as a reference and its version apart: HAPI's encoder strips the version from references
	 * (so {@code Type/id/_history/n} would read back as {@code Type/id}).
	 */
	private static void version(ParametersParameterComponent part, String version) {
		IdType id = new IdType(version);
		part.addPart().setName("resource").setValue(new Reference(id.toUnqualifiedVersionless().getValue()));
		part.addPart().setName("version").setValue(new StringType(id.getVersionIdPart()));
	}

	private static void instant(ParametersParameterComponent part, String name, Instant value) {
		if (value != null) {
			part.addPart().setName(name).setValue(new InstantType(Date.from(value)));
		}
	}
}
