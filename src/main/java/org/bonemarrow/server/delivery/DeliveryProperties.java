package org.bonemarrow.server.delivery;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The durable delivery outbox ({@code bonemarrow.delivery.*} in application.yaml): how long and how often the
 * server keeps trying to hand a result to a receiving system, for FHIR rest-hook Subscriptions and HL7 v2
 * receivers alike.
 *
 * @param restHook     who delivers rest-hook Subscriptions: {@code outbox} (this), or {@code hapi} (HAPI's own
 *                     in-memory delivery with its one-minute retry window; stock mode only, for comparison).
 *                     HL7 v2 results always go through the outbox.
 * @param firstRetry   wait after the first failed attempt; doubled after each further failure (100ms..1h)
 * @param maxInterval  longest wait between two attempts (firstRetry..24h)
 * @param giveUpAfter  how long after a delivery became due it is still retried; then it is a dead letter,
 *                     kept and shown until replayed (1s..30d)
 * @param workers      deliveries attempted at once by this instance (1..64)
 * @param pollInterval how often this instance looks for due deliveries when nothing wakes it (100ms..1m)
 * @param lease        how long a delivery claimed by an instance is left to it; one that dies mid-delivery
 *                     leaves it to the others after this (longer than any receiver timeout; 10s..1h)
 */
@ConfigurationProperties("bonemarrow.delivery")
public record DeliveryProperties(
		@DefaultValue("outbox") String restHook,
		@DefaultValue("10s") Duration firstRetry,
		@DefaultValue("5m") Duration maxInterval,
		@DefaultValue("72h") Duration giveUpAfter,
		@DefaultValue("4") int workers,
		@DefaultValue("1s") Duration pollInterval,
		@DefaultValue("2m") Duration lease) {

	public static final String OUTBOX = "outbox";
	public static final String HAPI = "hapi";

	public DeliveryProperties {
		if (!OUTBOX.equals(restHook) && !HAPI.equals(restHook)) {
			throw new IllegalArgumentException("bonemarrow.delivery.rest-hook must be outbox or hapi, was " + restHook);
		}
		check(firstRetry, Duration.ofMillis(100), Duration.ofHours(1), "first-retry");
		check(maxInterval, firstRetry, Duration.ofHours(24), "max-interval");
		check(giveUpAfter, Duration.ofSeconds(1), Duration.ofDays(30), "give-up-after");
		check(pollInterval, Duration.ofMillis(100), Duration.ofMinutes(1), "poll-interval");
		check(lease, Duration.ofSeconds(10), Duration.ofHours(1), "lease");
		if (workers < 1 || workers > 64) {
			throw new IllegalArgumentException("bonemarrow.delivery.workers must be 1..64");
		}
	}

	private static void check(Duration value, Duration min, Duration max, String name) {
		if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
			throw new IllegalArgumentException("bonemarrow.delivery." + name + " must be " + min + ".." + max
					+ " (ISO-8601 or 10s, 5m, 72h), was " + value);
		}
	}

	public boolean restHooksThroughOutbox() {
		return OUTBOX.equals(restHook);
	}

	public Backoff backoff() {
		return new Backoff(firstRetry, maxInterval, giveUpAfter);
	}
}
