package org.bonemarrow.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BackoffTest {

	private final Backoff defaults = new Backoff(Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofHours(72));

	@Test
	void doublesFromTheFirstRetryUpToTheCap() {
		assertThat(defaults.delayAfter(1)).isEqualTo(Duration.ofSeconds(10));
		assertThat(defaults.delayAfter(2)).isEqualTo(Duration.ofSeconds(20));
		assertThat(defaults.delayAfter(5)).isEqualTo(Duration.ofSeconds(160));
		assertThat(defaults.delayAfter(6)).isEqualTo(Duration.ofMinutes(5));
		assertThat(defaults.delayAfter(10_000)).isEqualTo(Duration.ofMinutes(5));
	}

	@Test
	void aDeliveryIsRetriedWhileItsWindowIsOpen_thenItIsADeadLetter() {
		Instant due = Instant.parse("2026-11-26T10:00:00Z");
		assertThat(defaults.nextAttempt(due, 1, due)).contains(due.plusSeconds(10));
		Instant nearTheEnd = due.plus(Duration.ofHours(72)).minusSeconds(301);
		assertThat(defaults.nextAttempt(due, 900, nearTheEnd)).contains(nearTheEnd.plus(Duration.ofMinutes(5)));
		assertThat(defaults.nextAttempt(due, 900, nearTheEnd.plusSeconds(2))).isEmpty();
	}

	@Test
	void seventyTwoHoursAtTheDefaultsIsAboutEightHundredAndSixtyAttempts() {
		Instant due = Instant.EPOCH;
		Instant now = due;
		int failures = 0;
		while (true) {
			failures++;
			var next = defaults.nextAttempt(due, failures, now);
			if (next.isEmpty()) {
				break;
			}
			now = next.get();
		}
		assertThat(failures).isBetween(850, 870);
		assertThat(Duration.between(due, now)).isLessThanOrEqualTo(Duration.ofHours(72));
	}

	@Test
	void settingsOutsideTheirRangeAreRefusedAtStartUp() {
		assertThatThrownBy(() -> properties("outbox", Duration.ofMillis(10), Duration.ofMinutes(5), Duration.ofHours(72)))
				.hasMessageContaining("first-retry");
		assertThatThrownBy(() -> properties("outbox", Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofHours(72)))
				.hasMessageContaining("max-interval");
		assertThatThrownBy(() -> properties("outbox", Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofDays(31)))
				.hasMessageContaining("give-up-after");
		assertThatThrownBy(() -> properties("kafka", Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofHours(72)))
				.hasMessageContaining("rest-hook must be outbox or hapi");
		assertThat(properties("hapi", Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofHours(72))
				.restHooksThroughOutbox()).isFalse();
	}

	@Test
	void aDeliveryIdentityReadsBack() {
		assertThat(Delivery.messageId(42)).isEqualTo("BMD42");
		assertThat(Delivery.parseId("BMD42")).isEqualTo(42);
		assertThat(Delivery.parseId("42")).isEqualTo(42);
		assertThat(Delivery.parseId("BMD")).isEqualTo(-1);
		assertThat(Delivery.parseId("BMD4x")).isEqualTo(-1);
		assertThat(Delivery.parseId(null)).isEqualTo(-1);
		assertThat(Delivery.parseId("9".repeat(30))).isEqualTo(-1);
	}

	private static DeliveryProperties properties(String restHook, Duration first, Duration max, Duration window) {
		return new DeliveryProperties(restHook, first, max, window, 4, Duration.ofSeconds(1), Duration.ofMinutes(2));
	}
}
