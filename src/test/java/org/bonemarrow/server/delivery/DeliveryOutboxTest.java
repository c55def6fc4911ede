package org.bonemarrow.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.h2.jdbcx.JdbcDataSource;
import org.hl7.fhir.r4.model.IdType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/** The outbox table on its own (H2 in memory, no server): claiming, order, leases, dead letters, replay. */
class DeliveryOutboxTest {

	private final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T10:00:00Z"));
	private DeliveryOutbox outbox;
	private DataSourceTransactionManager transactions;
	private final Backoff backoff = new Backoff(Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofHours(72));

	@BeforeEach
	void freshDatabase() {
		JdbcDataSource ds = new JdbcDataSource();
		ds.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
		transactions = new DataSourceTransactionManager(ds);
		outbox = new DeliveryOutbox(ds, transactions, clock);
	}

	@Test
	void theVersionsOfOneReportGoToAReceiverInTheOrderTheyWereStored() {
		long v1 = queue("lis", "DiagnosticReport/7/_history/1");
		long v2 = queue("lis", "DiagnosticReport/7/_history/2");
		long other = queue("lis", "DiagnosticReport/8/_history/1");
		long otherReceiver = queue("ehr", "DiagnosticReport/7/_history/2");

		List<Delivery> first = outbox.claim("a", 10, 60_000);
		assertThat(first).extracting(Delivery::id).containsExactlyInAnyOrder(v1, other, otherReceiver);

		// v1 fails: v2 still waits behind it, also when v1's retry is not due yet.
		assertThat(outbox.failed(first.stream().filter(d -> d.id() == v1).findFirst().orElseThrow(), "a", "HTTP 503",
				backoff.nextAttempt(clock.instant(), 1, clock.instant()))).isTrue();
		assertThat(outbox.claim("a", 10, 60_000)).isEmpty();

		clock.advance(Duration.ofSeconds(11));
		Delivery retry = single(outbox.claim("a", 10, 60_000));
		assertThat(retry.id()).isEqualTo(v1);
		assertThat(retry.attempts()).isEqualTo(1);
		assertThat(outbox.delivered(retry, "a")).isTrue();
		assertThat(single(outbox.claim("a", 10, 60_000)).id()).isEqualTo(v2);
	}

	@Test
	void aClaimedDeliveryIsLeftToItsOwner_untilTheLeaseRunsOut() {
		long id = queue("lis", "DiagnosticReport/9/_history/1");
		Delivery taken = single(outbox.claim("instance-a", 10, 60_000));
		assertThat(outbox.claim("instance-b", 10, 60_000)).isEmpty();

		clock.advance(Duration.ofSeconds(61));
		Delivery takenOver = single(outbox.claim("instance-b", 10, 60_000));
		assertThat(takenOver.id()).isEqualTo(id);
		// The first owner, back from the dead, may no longer record an outcome.
		assertThat(outbox.delivered(taken, "instance-a")).isFalse();
		assertThat(outbox.delivered(takenOver, "instance-b")).isTrue();
		assertThat(outbox.find(id).orElseThrow().state()).isEqualTo(DeliveryOutbox.DELIVERED);
	}

	@Test
	void afterItsWindowADeliveryIsADeadLetter_keptAndReplayable() {
		long id = queue("lis", "DiagnosticReport/10/_history/3");
		Delivery d = single(outbox.claim("a", 10, 60_000));
		clock.advance(Duration.ofHours(73));
		Optional<Instant> next = backoff.nextAttempt(d.due(), 1, clock.instant());
		assertThat(next).isEmpty();
		assertThat(outbox.failed(d, "a", "no connection (ConnectException)", next)).isTrue();
		assertThat(outbox.claim("a", 10, 60_000)).isEmpty();

		DeliveryOutbox.ReceiverCounts counts = outbox.counts().get(0);
		assertThat(counts.dead()).isEqualTo(1);
		assertThat(counts.pending()).isZero();
		assertThat(counts.lastError()).isEqualTo("no connection (ConnectException)");
		assertThat(counts.total()).isEqualTo(1);
		assertThat(outbox.deadLetters(DeliveryChannel.HL7V2, "lis", 10)).extracting(r -> r.delivery().id()).containsExactly(id);

		assertThat(outbox.replay(id)).isTrue();
		assertThat(outbox.replay(id)).as("only a dead letter is replayed").isFalse();
		Delivery again = single(outbox.claim("a", 10, 60_000));
		assertThat(again.messageId()).isEqualTo(d.messageId());
		assertThat(again.due()).isEqualTo(clock.instant());
		assertThat(outbox.find(id).orElseThrow().replays()).isEqualTo(1);
	}

	@Test
	void aRolledBackWriteOwesNothing_andOneTransactionQueuesAVersionOnce() {
		TransactionTemplate tx = new TransactionTemplate(transactions);
		tx.executeWithoutResult(status -> {
			queue("lis", "DiagnosticReport/11/_history/1");
			status.setRollbackOnly();
		});
		assertThat(outbox.counts()).isEmpty();

		tx.executeWithoutResult(status -> {
			assertThat(queue("lis", "DiagnosticReport/12/_history/1")).isPositive();
			assertThat(queue("lis", "DiagnosticReport/12/_history/1")).isEqualTo(-1);
		});
		assertThat(outbox.counts().get(0).pending()).isEqualTo(1);
	}

	@Test
	void whatADatabaseMatchFoundOutsideTheCriteriaIsNotCountedAsOwed_aCancelledOneIs() {
		queue("ehr", "DiagnosticReport/13/_history/1");
		queue("ehr", "DiagnosticReport/14/_history/1");
		List<Delivery> both = outbox.claim("a", 10, 60_000);
		assertThat(outbox.ended(both.get(0), "a", DeliveryOutbox.NOT_MATCHED, "outside the criteria")).isTrue();
		assertThat(outbox.ended(both.get(1), "a", DeliveryOutbox.CANCELLED, "Subscription deleted")).isTrue();
		DeliveryOutbox.ReceiverCounts counts = outbox.counts().get(0);
		assertThat(counts.total()).isEqualTo(1);
		assertThat(counts.cancelled()).isEqualTo(1);
		assertThat(counts.pending()).isZero();
		assertThat(counts.lastError()).isEqualTo("Subscription deleted");
	}

	@Test
	void theConsoleListsRowsByState_failingBeingPendingAfterAFailedAttempt_newestFirst_inPages() {
		long delivered = queue("lis", "DiagnosticReport/20/_history/1");
		long failing = queue("lis", "DiagnosticReport/21/_history/1");
		long pending = queue("ehr", "DiagnosticReport/22/_history/1");
		for (Delivery d : outbox.claim("a", 10, 60_000)) {
			if (d.id() == delivered) {
				outbox.delivered(d, "a");
			} else if (d.id() == failing) {
				outbox.failed(d, "a", "HTTP 503", Optional.of(clock.instant().plusSeconds(10)));
			} else {
				outbox.release(d, "a");
			}
		}

		assertThat(outbox.list(DeliveryOutbox.Listing.ALL, 0, 10)).extracting(r -> r.delivery().id())
				.containsExactly(pending, failing, delivered);
		assertThat(outbox.list(DeliveryOutbox.Listing.ALL, 1, 1)).extracting(r -> r.delivery().id()).containsExactly(failing);
		assertThat(outbox.count(DeliveryOutbox.Listing.ALL)).isEqualTo(3);
		DeliveryOutbox.Listing failingOnly = new DeliveryOutbox.Listing(DeliveryOutbox.FAILING, null, null);
		DeliveryOutbox.Row row = only(outbox.list(failingOnly, 0, 10));
		assertThat(row.delivery().id()).isEqualTo(failing);
		assertThat(row.shownState()).isEqualTo(DeliveryOutbox.FAILING);
		assertThat(row.lastError()).isEqualTo("HTTP 503");
		assertThat(row.nextAttempt()).isEqualTo(clock.instant().plusSeconds(10));
		// Pending includes failing: both are still owed.
		assertThat(outbox.count(new DeliveryOutbox.Listing(DeliveryOutbox.PENDING, null, null))).isEqualTo(2);
		assertThat(outbox.count(new DeliveryOutbox.Listing(DeliveryOutbox.PENDING, DeliveryChannel.HL7V2, "ehr"))).isEqualTo(1);
		assertThat(outbox.count(new DeliveryOutbox.Listing(null, DeliveryChannel.REST_HOOK, null))).isZero();
		DeliveryOutbox.Row done = only(outbox.list(new DeliveryOutbox.Listing(DeliveryOutbox.DELIVERED, null, "lis"), 0, 10));
		assertThat(done.nextAttempt()).as("only a pending delivery has a next attempt").isNull();
		assertThat(outbox.failingPerReceiver()).containsExactly(java.util.Map.entry(DeliveryChannel.HL7V2 + "|lis", 1L));
	}

	private static DeliveryOutbox.Row only(List<DeliveryOutbox.Row> rows) {
		assertThat(rows).hasSize(1);
		return rows.get(0);
	}

	private long queue(String receiver, String version) {
		return outbox.enqueue(DeliveryChannel.HL7V2, receiver, new IdType(version), "UPDATE", false);
	}

	private static Delivery single(List<Delivery> claimed) {
		assertThat(claimed).hasSize(1);
		return claimed.get(0);
	}

	static final class MutableClock extends Clock {
		private Instant now;

		MutableClock(Instant start) {
			now = start;
		}

		void advance(Duration by) {
			now = now.plus(by);
		}

		@Override
		public Instant instant() {
			return now;
		}

		@Override
		public ZoneOffset getZone() {
			return ZoneOffset.UTC;
		}

		@Override
		public Clock withZone(java.time.ZoneId zone) {
			return this;
		}
	}
}
