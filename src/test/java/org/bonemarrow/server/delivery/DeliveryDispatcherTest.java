package org.bonemarrow.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bonemarrow.server.delivery.DeliveryChannel.Outcome;
import org.h2.jdbcx.JdbcDataSource;
import org.hl7.fhir.r4.model.IdType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

/** The dispatcher on an outbox in H2 memory with a scripted channel: retries, dead letters, cancels, order. */
class DeliveryDispatcherTest {

	private DeliveryOutbox outbox;
	private DeliveryDispatcher dispatcher;
	private final ScriptedChannel channel = new ScriptedChannel();

	@BeforeEach
	void outbox() {
		JdbcDataSource ds = new JdbcDataSource();
		ds.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
		outbox = new DeliveryOutbox(ds, new DataSourceTransactionManager(ds), Clock.systemUTC());
	}

	@AfterEach
	void stop() {
		if (dispatcher != null) {
			dispatcher.stop();
		}
	}

	private void start(Duration window) {
		dispatcher = new DeliveryDispatcher(outbox, List.of(channel), new DeliveryProperties("outbox",
				Duration.ofMillis(100), Duration.ofMillis(200), window, 2, Duration.ofMillis(100), Duration.ofSeconds(30)),
				new DeliveryAudit(null), Clock.systemUTC());
		dispatcher.start();
		dispatcher.markReady();
	}

	@Test
	void aFailedAttemptIsRetried_untilDelivered_andTheNextVersionOnlyThen() {
		channel.script.add(Outcome.failed("HTTP 503"));
		channel.script.add(Outcome.failed("HTTP 503"));
		start(Duration.ofMinutes(1));
		long first = queue("DiagnosticReport/1/_history/1");
		long second = queue("DiagnosticReport/1/_history/2");

		await().atMost(Duration.ofSeconds(10)).until(() -> channel.attempted.size() == 4);
		assertThat(channel.attempted).containsExactly(first, first, first, second);
		await().atMost(Duration.ofSeconds(5)).until(() -> DeliveryOutbox.DELIVERED.equals(state(second)));
		assertThat(outbox.find(first).orElseThrow().delivery().attempts()).isEqualTo(3);
		assertThat(outbox.find(first).orElseThrow().lastError()).isEqualTo("HTTP 503");
	}

	@Test
	void pastItsWindowADeliveryIsADeadLetter_andACancelEndsIt() {
		for (int i = 0; i < 100; i++) {
			channel.script.add(Outcome.failed("no connection (ConnectException)"));
		}
		start(Duration.ofSeconds(1));
		long dead = queue("DiagnosticReport/2/_history/1");
		await().atMost(Duration.ofSeconds(10)).until(() -> DeliveryOutbox.DEAD.equals(state(dead)));
		int attempts = channel.attempted.size();
		assertThat(attempts).isGreaterThan(1);

		channel.script.clear();
		channel.script.add(Outcome.cancelled("Subscription deleted"));
		long cancelled = queue("DiagnosticReport/3/_history/1");
		await().atMost(Duration.ofSeconds(10)).until(() -> DeliveryOutbox.CANCELLED.equals(state(cancelled)));
		assertThat(state(dead)).as("a dead letter is not retried by itself").isEqualTo(DeliveryOutbox.DEAD);
		assertThat(channel.attempted.stream().filter(id -> id == dead)).hasSize(attempts);
	}

	@Test
	void aLeaseShorterThanAnAttemptCanTakeIsRefusedAtStartUp() {
		channel.longest = Duration.ofMinutes(5);
		assertThatThrownBy(() -> start(Duration.ofMinutes(1))).hasMessageContaining("bonemarrow.delivery.lease");
	}

	private long queue(String version) {
		return outbox.enqueue(DeliveryChannel.HL7V2, "lis", new IdType(version), "UPDATE", false);
	}

	private String state(long id) {
		return outbox.find(id).orElseThrow().state();
	}

	/** Answers with the scripted outcomes in turn, then "delivered". */
	static final class ScriptedChannel implements DeliveryChannel {
		final Deque<Outcome> script = new ConcurrentLinkedDeque<>();
		final List<Long> attempted = new CopyOnWriteArrayList<>();
		volatile Duration longest = Duration.ofSeconds(1);

		@Override
		public String name() {
			return HL7V2;
		}

		@Override
		public List<Receiver> receivers() {
			return new ArrayList<>(List.of(new Receiver("lis", "mllp://test")));
		}

		@Override
		public Duration longestAttempt() {
			return longest;
		}

		@Override
		public Outcome attempt(Delivery delivery) {
			attempted.add(delivery.id());
			Outcome next = script.poll();
			return next == null ? Outcome.delivered() : next;
		}
	}
}
