package org.bonemarrow.server.console.operations;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bonemarrow.server.console.ConsoleAudit;
import org.bonemarrow.server.delivery.Delivery;
import org.bonemarrow.server.delivery.DeliveryChannel;
import org.bonemarrow.server.delivery.DeliveryOperations;
import org.bonemarrow.server.delivery.DeliveryOutbox;
import org.bonemarrow.server.delivery.DeliveryOutbox.Listing;
import org.bonemarrow.server.delivery.DeliveryOutbox.ReceiverCounts;
import org.bonemarrow.server.delivery.DeliveryOutbox.Row;
import org.springframework.stereotype.Component;

/**
 * The deliveries page's data: per receiver what is pending, failing, dead and delivered; the outbox's rows,
 * filtered and paged; and a dead letter's replay, through the same code as {@code $replay}
 * ({@link DeliveryOperations#replayDeadLetter}), audited with the console user who pressed the button.
 */
@Component
public class ConsoleDeliveries {

	/** The states a list may be filtered by (lower case in URLs). "failing": pending after a failed attempt. */
	public static final List<String> STATES = List.of("pending", "failing", "dead", "delivered", "cancelled", "not_matched");

	private final DeliveryOutbox outbox;
	private final List<DeliveryChannel> channels;
	private final DeliveryOperations operations;
	private final ConsoleAudit audit;

	public ConsoleDeliveries(DeliveryOutbox outbox, List<DeliveryChannel> channels, DeliveryOperations operations,
			ConsoleAudit audit) {
		this.outbox = outbox;
		this.channels = channels;
		this.operations = operations;
		this.audit = audit;
	}

	/**
	 * One receiver's deliveries. {@code pending} counts every delivery still owed, {@code failing} those of
	 * them whose attempts failed so far (so failing is part of pending).
	 *
	 * @param name     {@code Subscription/<id>} or {@code hl7v2/<id>}
	 * @param endpoint where it is sent, when the receiver is still configured or stored
	 */
	public record ReceiverSummary(String name, String channel, String receiver, String endpoint, long pending,
			long failing, long dead, long delivered, long cancelled, Instant oldestPending, Instant lastDelivered,
			Instant lastErrorAt, String lastError) {}

	/**
	 * A row of the list.
	 *
	 * @param id          {@code BMD<n>}: the delivery's identity (X-Delivery-Id, MSH-10)
	 * @param state       pending, failing, dead, delivered, cancelled or not_matched
	 * @param resource    {@code Type/id/_history/n}
	 * @param nextAttempt when a pending delivery is tried next, else null
	 */
	public record DeliveryRow(long number, String id, String state, String channel, String receiver, String resource,
			String operation, int attempts, int replays, Instant created, Instant lastAttempt, String lastError,
			Instant nextAttempt, Instant done) {

		public boolean replayable() {
			return "dead".equals(state);
		}
	}

	/**
	 * What to list. Each null for any.
	 *
	 * @param state    one of {@link #STATES}
	 * @param channel  rest-hook, hl7v2, or another channel's name
	 * @param receiver {@code Subscription/<id>}, {@code hl7v2/<id>}, or a bare receiver id
	 */
	public record Filter(String state, String channel, String receiver) {

		/** @throws IllegalArgumentException an unknown state */
		Listing listing() {
			String s = blank(state) ? null : state.trim().toLowerCase(Locale.ROOT);
			if (s != null && !STATES.contains(s)) {
				throw new IllegalArgumentException("state must be one of " + String.join(", ", STATES));
			}
			String c = blank(channel) ? null : channel.trim();
			String r = blank(receiver) ? null : receiver.trim();
			if (r != null && r.startsWith("hl7v2/")) {
				r = r.substring("hl7v2/".length());
				c = c == null ? DeliveryChannel.HL7V2 : c;
			} else if (r != null && r.startsWith("Subscription/")) {
				// rest-hook or topic-based: both are Subscriptions, under their own channel names.
				r = r.substring("Subscription/".length());
			}
			return new Listing(s == null ? null : s.toUpperCase(Locale.ROOT), c, r);
		}
	}

	/** Every receiver that is configured or ever had a delivery, configured ones first. */
	public List<ReceiverSummary> receivers() {
		Map<String, ReceiverSummary> byName = new LinkedHashMap<>();
		Map<String, String> endpoints = new LinkedHashMap<>();
		for (DeliveryChannel channel : channels) {
			for (DeliveryChannel.Receiver r : channel.receivers()) {
				String key = channel.name() + "|" + r.id();
				endpoints.put(key, r.endpoint());
				byName.put(key, summary(ReceiverCounts.none(channel.name(), r.id()), r.endpoint(), 0));
			}
		}
		Map<String, Long> failing = outbox.failingPerReceiver();
		for (ReceiverCounts c : outbox.counts()) {
			String key = c.channel() + "|" + c.receiver();
			byName.put(key, summary(c, endpoints.get(key), failing.getOrDefault(key, 0L)));
		}
		return List.copyOf(byName.values());
	}

	private static ReceiverSummary summary(ReceiverCounts c, String endpoint, long failing) {
		return new ReceiverSummary(DeliveryOperations.receiverName(c.channel(), c.receiver()), c.channel(), c.receiver(),
				endpoint, c.pending(), failing, c.dead(), c.delivered(), c.cancelled(), c.oldestPending(),
				c.lastDelivered(), c.lastErrorAt(), c.lastError());
	}

	/** @throws IllegalArgumentException an unknown state */
	public ResultPage<DeliveryRow> list(Filter filter, Paging paging) {
		Listing listing = filter.listing();
		long total = outbox.count(listing);
		List<DeliveryRow> rows = new ArrayList<>();
		for (Row row : outbox.list(listing, paging.offset(), paging.size())) {
			rows.add(row(row));
		}
		return new ResultPage<>(rows, paging, total, paging.offset() + rows.size() < total);
	}

	static DeliveryRow row(Row row) {
		Delivery d = row.delivery();
		return new DeliveryRow(d.id(), d.messageId(), row.shownState().toLowerCase(Locale.ROOT), d.channel(),
				DeliveryOperations.receiverName(d.channel(), d.receiver()), d.resource(), d.operation(), d.attempts(),
				row.replays(), row.created(), row.lastAttempt(), row.lastError(), row.nextAttempt(), row.done());
	}

	/**
	 * The outcome of a replay button.
	 *
	 * @param replayed true when the dead letter is pending again
	 * @param message  for the page's notice
	 */
	public record ReplayOutcome(boolean replayed, String message) {}

	/**
	 * Replays one dead letter, as {@code POST $replay delivery=BMD<n>} does, and audits it (replayed or
	 * refused) with the console user as the agent.
	 */
	public ReplayOutcome replay(String delivery, String user, Collection<String> roles) {
		try {
			Delivery d = operations.replayDeadLetter(delivery);
			audit.replayed(user, roles, delivery, d, null);
			return new ReplayOutcome(true, "Delivery " + d.messageId() + " to "
					+ DeliveryOperations.receiverName(d.channel(), d.receiver()) + " is pending again and will be sent now.");
		} catch (BaseServerResponseException refused) {
			// HAPI's texts here are ours (DeliveryOperations): ids and states, no patient data.
			String why = refused.getMessage() == null ? "HTTP " + refused.getStatusCode()
					: refused.getMessage().replaceFirst("^HAPI-\\d+: ", "");
			audit.replayed(user, roles, delivery, null, why);
			return new ReplayOutcome(false, why);
		}
	}

	private static boolean blank(String s) {
		return s == null || s.isBlank();
	}
}
