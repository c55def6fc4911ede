package org.bonemarrow.server.delivery;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * When a failed delivery is tried next: {@code firstRetry} after the first failure, twice as long after each
 * further one, never more than {@code maxInterval} apart, and not at all once the next attempt would fall
 * more than {@code giveUpAfter} after the delivery became due (then it is a dead letter). Pure.
 */
public record Backoff(Duration firstRetry, Duration maxInterval, Duration giveUpAfter) {

	/** The wait after the {@code failures}-th failed attempt (1 for the first). */
	public Duration delayAfter(int failures) {
		Duration delay = firstRetry;
		for (int i = 1; i < failures && delay.compareTo(maxInterval) < 0; i++) {
			delay = delay.multipliedBy(2);
		}
		return delay.compareTo(maxInterval) > 0 ? maxInterval : delay;
	}

	/** The next attempt after a failure, or empty when the window has closed (a dead letter). */
	public Optional<Instant> nextAttempt(Instant due, int failures, Instant now) {
		Instant next = now.plus(delayAfter(failures));
		return next.isAfter(due.plus(giveUpAfter)) ? Optional.empty() : Optional.of(next);
	}
}
