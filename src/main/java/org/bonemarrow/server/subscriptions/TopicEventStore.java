package org.bonemarrow.server.subscriptions;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;

/**
 * The durable state of topic-based Subscriptions, in the FHIR database (tables {@value #SUBSCRIPTIONS} and
 * {@value #EVENTS}, created if missing with SQL H2 and PostgreSQL both accept):
 * <ul>
 *   <li>one row per topic Subscription: its topic, status and filters as of its last write (written in the
 *       Subscription's own transaction, so every instance matches against the same, current set), the client
 *       that created it, its event counter and when something was last sent to it (heartbeats);</li>
 *   <li>one row per event: its number, the focus version, when it happened. $events reads these, and each
 *       notification is built from its row, so a client that was away can recover what it missed.</li>
 * </ul>
 *
 * <p>Event numbers ({@code events-since-subscription-start}, Backport IG): taken by {@link #nextEventNumber} in
 * the transaction of the write that made the event, by incrementing the Subscription's counter row. The row
 * stays locked until that transaction ends, so concurrent writes (on one instance or two over one PostgreSQL)
 * take consecutive numbers one after the other, a rolled-back write gives its number back, and numbers
 * survive restarts. Times are epoch milliseconds.
 */
public class TopicEventStore {

	static final String SUBSCRIPTIONS = "BME_TOPIC_SUBSCRIPTION";
	static final String EVENTS = "BME_TOPIC_EVENT";

	private final JdbcTemplate jdbc;
	private final Clock clock;

	public TopicEventStore(DataSource dataSource, Clock clock) {
		this.jdbc = new JdbcTemplate(dataSource);
		this.clock = clock;
		createTablesIfMissing();
	}

	private void createTablesIfMissing() {
		try {
			jdbc.execute("CREATE TABLE IF NOT EXISTS " + SUBSCRIPTIONS + " (SUBSCRIPTION_ID VARCHAR(100) PRIMARY KEY,"
					+ " TOPIC VARCHAR(200) NOT NULL, STATUS VARCHAR(16) NOT NULL, FILTERS VARCHAR(4000),"
					+ " HEARTBEAT_SECONDS INT NOT NULL, OWNER_CLIENT VARCHAR(200), EVENT_COUNT BIGINT NOT NULL,"
					+ " CREATED_AT BIGINT NOT NULL, LAST_SENT_AT BIGINT NOT NULL)");
			jdbc.execute("CREATE TABLE IF NOT EXISTS " + EVENTS + " (SUBSCRIPTION_ID VARCHAR(100) NOT NULL,"
					+ " EVENT_NUMBER BIGINT NOT NULL, TOPIC VARCHAR(200) NOT NULL, FOCUS VARCHAR(200) NOT NULL,"
					+ " OCCURRED_AT BIGINT NOT NULL, PRIMARY KEY (SUBSCRIPTION_ID, EVENT_NUMBER))");
			jdbc.execute("CREATE INDEX IF NOT EXISTS " + SUBSCRIPTIONS + "_TOPIC ON " + SUBSCRIPTIONS + " (TOPIC, STATUS)");
		} catch (DataAccessException e) {
			// Two instances starting together over PostgreSQL may race on CREATE ... IF NOT EXISTS.
			jdbc.queryForObject("SELECT COUNT(*) FROM " + EVENTS, Integer.class);
		}
	}

	/**
	 * Records the Subscription as just written, in the caller's transaction. The owner is kept from the first
	 * write (a later update by another client does not take it over).
	 */
	public void written(TopicSubscription s, String status, String owner) {
		long now = clock.millis();
		int updated = jdbc.update("UPDATE " + SUBSCRIPTIONS + " SET TOPIC = ?, STATUS = ?, FILTERS = ?, HEARTBEAT_SECONDS = ?"
				+ " WHERE SUBSCRIPTION_ID = ?", s.topic().url(), status, s.filtersText(), s.heartbeatSeconds(), s.id());
		if (updated == 0) {
			jdbc.update("INSERT INTO " + SUBSCRIPTIONS + " (SUBSCRIPTION_ID, TOPIC, STATUS, FILTERS, HEARTBEAT_SECONDS,"
					+ " OWNER_CLIENT, EVENT_COUNT, CREATED_AT, LAST_SENT_AT) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)", s.id(),
					s.topic().url(), status, s.filtersText(), s.heartbeatSeconds(), owner, now, now);
		}
	}

	/** The Subscription was deleted or stopped being a topic Subscription: it matches nothing any more. */
	public void gone(String subscriptionId) {
		jdbc.update("UPDATE " + SUBSCRIPTIONS + " SET STATUS = 'deleted' WHERE SUBSCRIPTION_ID = ?", subscriptionId);
	}

	/** Subscriptions of a topic that are owed its events now: active, or in error (their endpoint is failing). */
	public List<Subscriber> subscribers(String topicUrl) {
		return jdbc.query("SELECT SUBSCRIPTION_ID, FILTERS FROM " + SUBSCRIPTIONS
				+ " WHERE TOPIC = ? AND STATUS IN ('active', 'error') ORDER BY SUBSCRIPTION_ID",
				(rs, n) -> new Subscriber(rs.getString(1), rs.getString(2)), topicUrl);
	}

	/** The next event number of a Subscription, in the caller's transaction (which keeps its row locked). */
	public long nextEventNumber(String subscriptionId) {
		int updated = jdbc.update("UPDATE " + SUBSCRIPTIONS + " SET EVENT_COUNT = EVENT_COUNT + 1 WHERE SUBSCRIPTION_ID = ?",
				subscriptionId);
		if (updated != 1) {
			throw new IllegalStateException("No topic subscription " + subscriptionId);
		}
		return jdbc.queryForObject("SELECT EVENT_COUNT FROM " + SUBSCRIPTIONS + " WHERE SUBSCRIPTION_ID = ?", Long.class,
				subscriptionId);
	}

	public void recordEvent(String subscriptionId, long number, String topicUrl, String focusVersion) {
		jdbc.update("INSERT INTO " + EVENTS + " (SUBSCRIPTION_ID, EVENT_NUMBER, TOPIC, FOCUS, OCCURRED_AT) VALUES (?, ?, ?, ?, ?)",
				subscriptionId, number, topicUrl, focusVersion, clock.millis());
	}

	public Optional<State> state(String subscriptionId) {
		return jdbc.query("SELECT * FROM " + SUBSCRIPTIONS + " WHERE SUBSCRIPTION_ID = ?", State.MAPPER, subscriptionId)
				.stream().findFirst();
	}

	public Optional<Event> event(String subscriptionId, long number) {
		return jdbc.query("SELECT * FROM " + EVENTS + " WHERE SUBSCRIPTION_ID = ? AND EVENT_NUMBER = ?", Event.MAPPER,
				subscriptionId, number).stream().findFirst();
	}

	/** Events numbered {@code from} to {@code to} (inclusive), oldest first, at most {@code max}. */
	public List<Event> events(String subscriptionId, long from, long to, int max) {
		return jdbc.query("SELECT * FROM " + EVENTS + " WHERE SUBSCRIPTION_ID = ? AND EVENT_NUMBER >= ? AND EVENT_NUMBER <= ?"
				+ " ORDER BY EVENT_NUMBER FETCH FIRST " + max + " ROWS ONLY", Event.MAPPER, subscriptionId, from, to);
	}

	/** Something reached the receiver now (heartbeats wait a whole period after it). */
	public void sent(String subscriptionId) {
		jdbc.update("UPDATE " + SUBSCRIPTIONS + " SET LAST_SENT_AT = ? WHERE SUBSCRIPTION_ID = ? AND LAST_SENT_AT < ?",
				clock.millis(), subscriptionId, clock.millis());
	}

	/** Active Subscriptions with a heartbeat period over which nothing was sent. */
	public List<String> heartbeatsDue() {
		return jdbc.queryForList("SELECT SUBSCRIPTION_ID FROM " + SUBSCRIPTIONS + " WHERE STATUS = 'active'"
				+ " AND HEARTBEAT_SECONDS > 0 AND LAST_SENT_AT + HEARTBEAT_SECONDS * 1000 <= ?", String.class, clock.millis());
	}

	/**
	 * Takes the heartbeat that is due: true for exactly one caller, whichever instance it runs on (the
	 * conditional update is the claim).
	 */
	public boolean claimHeartbeat(String subscriptionId) {
		long now = clock.millis();
		return jdbc.update("UPDATE " + SUBSCRIPTIONS + " SET LAST_SENT_AT = ? WHERE SUBSCRIPTION_ID = ? AND STATUS = 'active'"
				+ " AND HEARTBEAT_SECONDS > 0 AND LAST_SENT_AT + HEARTBEAT_SECONDS * 1000 <= ?", now, subscriptionId, now) == 1;
	}

	/** @param filters as {@link TopicSubscription#filtersText()} */
	public record Subscriber(String subscriptionId, String filters) {}

	/** @param owner the OAuth client that created the Subscription; null when the server did */
	public record State(String subscriptionId, String topic, String status, String owner, long events, Instant lastSent) {
		static final RowMapper<State> MAPPER = (rs, n) -> new State(rs.getString("SUBSCRIPTION_ID"), rs.getString("TOPIC"),
				rs.getString("STATUS"), rs.getString("OWNER_CLIENT"), rs.getLong("EVENT_COUNT"),
				Instant.ofEpochMilli(rs.getLong("LAST_SENT_AT")));
	}

	/** @param focus {@code Type/id/_history/n} */
	public record Event(long number, String topic, String focus, Instant occurred) {
		static final RowMapper<Event> MAPPER = (rs, n) -> new Event(rs.getLong("EVENT_NUMBER"), rs.getString("TOPIC"),
				rs.getString("FOCUS"), Instant.ofEpochMilli(rs.getLong("OCCURRED_AT")));
	}
}
