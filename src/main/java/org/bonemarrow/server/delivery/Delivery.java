package org.bonemarrow.server.delivery;

import java.time.Instant;

/**
 * One thing owed to one receiving system: a version of a resource (for HL7 v2, a version of a report), as a
 * row of the outbox table.
 *
 * @param id           the row's id; {@link #messageId()} is derived from it, so it is the same on every attempt
 * @param channel      {@link DeliveryChannel#REST_HOOK} or {@link DeliveryChannel#HL7V2}
 * @param receiver     the Subscription's id (rest-hook) or the configured receiver's id (HL7 v2)
 * @param resource     {@code Type/id/_history/version}
 * @param operation    CREATE, UPDATE or DELETE (what made it due)
 * @param matchLater   the receiver's criteria could not be matched in memory when it was queued; the
 *                     dispatcher asks the database before delivering
 * @param due          when it became due (its retry window starts here)
 * @param attempts     attempts made so far
 */
public record Delivery(long id, String channel, String receiver, String resource, String operation,
		boolean matchLater, Instant due, int attempts) {

	/** Stable identity of this delivery on every attempt and replay: MSH-10 of the ORU^R01, X-Delivery-Id of a rest-hook. */
	public String messageId() {
		return messageId(id);
	}

	public static String messageId(long id) {
		return "BMD" + id;
	}

	/** The id from {@link #messageId()} or a bare number; -1 when neither. */
	public static long parseId(String value) {
		if (value == null) {
			return -1;
		}
		String digits = value.startsWith("BMD") ? value.substring(3) : value;
		if (!digits.matches("[0-9]{1,18}")) {
			return -1;
		}
		return Long.parseLong(digits);
	}
}
