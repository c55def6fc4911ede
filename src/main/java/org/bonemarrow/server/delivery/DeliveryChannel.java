package org.bonemarrow.server.delivery;

import java.util.List;

/**
 * A way results leave the server: FHIR rest-hook or HL7 v2 over MLLP. The dispatcher calls
 * {@link #attempt} for one delivery at a time, outside any database transaction, and records the outcome.
 */
public interface DeliveryChannel {

	String REST_HOOK = "rest-hook";
	String HL7V2 = "hl7v2";

	/** {@link #REST_HOOK} or {@link #HL7V2}. */
	String name();

	/** Receivers this channel knows of now (for status: a receiver with nothing queued is still shown). */
	List<Receiver> receivers();

	/**
	 * The longest one attempt can take (connect plus the wait for an answer): the outbox's lease must be
	 * longer, or another instance could take a delivery over while it is still being attempted.
	 */
	java.time.Duration longestAttempt();

	/** One attempt to hand the delivery over. Never throws: every failure is an {@link Outcome}. */
	Outcome attempt(Delivery delivery);

	/** @param endpoint where it goes, for people (a URL or host:port; never a header or secret) */
	record Receiver(String id, String endpoint) {}

	/**
	 * What one attempt came to.
	 *
	 * @param result DELIVERED (acknowledged), FAILED (try again later), CANCELLED (the receiver no longer
	 *               wants it: its Subscription was deleted or switched off), NOT_MATCHED (a database match
	 *               found the resource outside the criteria)
	 * @param detail what went wrong, without patient data (exception type, HTTP status, ACK code)
	 */
	record Outcome(Result result, String detail) {
		public enum Result { DELIVERED, FAILED, CANCELLED, NOT_MATCHED }

		public static Outcome delivered() {
			return new Outcome(Result.DELIVERED, null);
		}

		public static Outcome failed(String detail) {
			return new Outcome(Result.FAILED, detail);
		}

		public static Outcome cancelled(String detail) {
			return new Outcome(Result.CANCELLED, detail);
		}

		public static Outcome notMatched() {
			return new Outcome(Result.NOT_MATCHED, "outside the Subscription's criteria");
		}
	}
}
