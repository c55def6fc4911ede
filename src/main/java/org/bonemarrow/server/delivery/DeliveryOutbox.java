package org.bonemarrow.server.delivery;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The outbox: one row per delivery owed to a receiving system, in the FHIR database itself (table
 * {@value #TABLE}, created if missing with SQL H2 and PostgreSQL both accept).
 *
 * <p>Why a table of our own: a row is written by the same database transaction as the write that made it
 * due ({@link #enqueue} joins the caller's transaction, because the JDBC connection is the one the JPA
 * transaction holds), so a kill -9 at any moment either loses the write and its deliveries together or keeps
 * both. HAPI's own queue (HFJ_RESOURCE_MODIFIED) only records a change until it is matched, and its
 * delivery retries are in memory for about a minute.
 *
 * <p>Claiming: instances sharing one PostgreSQL database pick due rows with {@code FOR UPDATE SKIP LOCKED}
 * and take a lease on each (owner and expiry); the attempt then runs outside any transaction, and only the
 * lease holder may record its outcome. An instance that dies mid-delivery leaves rows whose lease runs out,
 * and another instance takes them: at worst a delivery in flight is sent again, with the same identity.
 * (H2 is one process: its database file is locked, so the claim needs no row locks there; H2 2.3's SKIP
 * LOCKED also skips rows that are not locked.)
 *
 * <p>Order: a row is due only when no earlier row for the same receiver and resource is still pending, so
 * the versions of a report reach each receiver in the order they were stored.
 *
 * <p>Rows are kept once delivered: they are the delivery log that status reads. Times are epoch
 * milliseconds, so instances in different time zones agree.
 */
public class DeliveryOutbox {

	static final String TABLE = "BME_DELIVERY";
	public static final String PENDING = "PENDING";
	public static final String DELIVERED = "DELIVERED";
	public static final String DEAD = "DEAD";
	public static final String CANCELLED = "CANCELLED";
	public static final String NOT_MATCHED = "NOT_MATCHED";
	/** Not a stored state: a pending delivery whose attempts so far failed (it will be tried again). */
	public static final String FAILING = "FAILING";
	private static final int MAX_ERROR = 200;
	private static final Object WAKE_REGISTERED = new Object();
	private static final Object QUEUED_IN_TRANSACTION = new Object();

	private static final String COLUMNS = "ID, CHANNEL, RECEIVER, RESOURCE_KEY, RESOURCE_VERSION, OPERATION, MATCH_LATER,"
			+ " DUE_AT, ATTEMPTS";
	private static final RowMapper<Delivery> ROW = (rs, n) -> new Delivery(rs.getLong("ID"), rs.getString("CHANNEL"),
			rs.getString("RECEIVER"), rs.getString("RESOURCE_KEY") + "/_history/" + rs.getLong("RESOURCE_VERSION"),
			rs.getString("OPERATION"), rs.getBoolean("MATCH_LATER"), Instant.ofEpochMilli(rs.getLong("DUE_AT")),
			rs.getInt("ATTEMPTS"));

	private final JdbcTemplate jdbc;
	private final TransactionTemplate newTransaction;
	private final Clock clock;
	private final boolean skipLocked;
	private volatile Runnable wakeUp = () -> {};

	public DeliveryOutbox(DataSource dataSource, PlatformTransactionManager transactions, Clock clock) {
		this.jdbc = new JdbcTemplate(dataSource);
		this.newTransaction = new TransactionTemplate(transactions);
		this.newTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
		this.clock = clock;
		this.skipLocked = isPostgres(dataSource);
		createTableIfMissing();
	}

	/** Called after a transaction that queued deliveries commits (the dispatcher starts at once, not at its next poll). */
	void onQueued(Runnable wakeUp) {
		this.wakeUp = wakeUp;
	}

	private static boolean isPostgres(DataSource dataSource) {
		try (Connection c = dataSource.getConnection()) {
			return c.getMetaData().getDatabaseProductName().toLowerCase().contains("postgres");
		} catch (SQLException e) {
			throw new IllegalStateException("Cannot read the database product name", e);
		}
	}

	private void createTableIfMissing() {
		try {
			jdbc.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (ID BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
					+ " CHANNEL VARCHAR(16) NOT NULL, RECEIVER VARCHAR(100) NOT NULL, RESOURCE_KEY VARCHAR(200) NOT NULL,"
					+ " RESOURCE_VERSION BIGINT NOT NULL, OPERATION VARCHAR(10) NOT NULL, MATCH_LATER BOOLEAN NOT NULL,"
					+ " STATE VARCHAR(12) NOT NULL, CREATED_AT BIGINT NOT NULL, DUE_AT BIGINT NOT NULL, NEXT_AT BIGINT NOT NULL,"
					+ " ATTEMPTS INT NOT NULL, LAST_AT BIGINT, DONE_AT BIGINT, ERROR_AT BIGINT, LAST_ERROR VARCHAR(" + MAX_ERROR
					+ "), REPLAYS INT NOT NULL, LEASE_OWNER VARCHAR(64), LEASE_UNTIL BIGINT)");
			jdbc.execute("CREATE INDEX IF NOT EXISTS " + TABLE + "_DUE ON " + TABLE + " (STATE, NEXT_AT)");
			jdbc.execute("CREATE INDEX IF NOT EXISTS " + TABLE + "_QUEUE ON " + TABLE
					+ " (CHANNEL, RECEIVER, RESOURCE_KEY, STATE, ID)");
		} catch (DataAccessException e) {
			// Two instances starting together over PostgreSQL may race on CREATE ... IF NOT EXISTS.
			jdbc.queryForObject("SELECT COUNT(*) FROM " + TABLE, Integer.class);
		}
	}

	/**
	 * Records a delivery owed, in the caller's transaction when there is one (it commits or rolls back with the
	 * write), else on its own.
	 *
	 * @param version {@code Type/id/_history/n}
	 * @return the delivery's id, or -1 when this transaction had already queued the same
	 */
	public long enqueue(String channel, String receiver, IIdType version, String operation, boolean matchLater) {
		if (!version.hasVersionIdPart() || !version.isVersionIdPartValidLong()) {
			throw new IllegalArgumentException("A delivery names a resource version");
		}
		if (!firstInThisTransaction(channel + "|" + receiver + "|" + version.toUnqualified().getValue())) {
			return -1;
		}
		long now = clock.millis();
		GeneratedKeyHolder keys = new GeneratedKeyHolder();
		jdbc.update(connection -> {
			PreparedStatement insert = connection.prepareStatement("INSERT INTO " + TABLE
					+ " (CHANNEL, RECEIVER, RESOURCE_KEY, RESOURCE_VERSION, OPERATION, MATCH_LATER, STATE, CREATED_AT, DUE_AT,"
					+ " NEXT_AT, ATTEMPTS, REPLAYS) VALUES (?, ?, ?, ?, ?, ?, '" + PENDING + "', ?, ?, ?, 0, 0)",
					Statement.RETURN_GENERATED_KEYS);
			insert.setString(1, channel);
			insert.setString(2, receiver);
			insert.setString(3, version.getResourceType() + "/" + version.getIdPart());
			insert.setLong(4, version.getVersionIdPartAsLong());
			insert.setString(5, operation);
			insert.setBoolean(6, matchLater);
			insert.setLong(7, now);
			insert.setLong(8, now);
			insert.setLong(9, now);
			return insert;
		}, keys);
		wakeAfterCommit();
		return generatedId(keys);
	}

	/** H2 returns the identity column; PostgreSQL every column, in lower case. */
	private static long generatedId(GeneratedKeyHolder keys) {
		for (Map.Entry<String, Object> key : keys.getKeyList().get(0).entrySet()) {
			if ("ID".equalsIgnoreCase(key.getKey())) {
				return ((Number) key.getValue()).longValue();
			}
		}
		throw new IllegalStateException("The database returned no id for the delivery");
	}

	/**
	 * HAPI may announce one stored version twice within a transaction (a conditional create answered by an
	 * update of what it found); it is owed once.
	 */
	@SuppressWarnings("unchecked")
	private static boolean firstInThisTransaction(String key) {
		if (!TransactionSynchronizationManager.isSynchronizationActive()) {
			return true;
		}
		Set<String> queued = (Set<String>) TransactionSynchronizationManager.getResource(QUEUED_IN_TRANSACTION);
		if (queued == null) {
			Set<String> fresh = new HashSet<>();
			TransactionSynchronizationManager.bindResource(QUEUED_IN_TRANSACTION, fresh);
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
				@Override
				public void afterCompletion(int status) {
					TransactionSynchronizationManager.unbindResourceIfPossible(QUEUED_IN_TRANSACTION);
				}
			});
			queued = fresh;
		}
		return queued.add(key);
	}

	private void wakeAfterCommit() {
		if (!TransactionSynchronizationManager.isSynchronizationActive()) {
			wakeUp.run();
			return;
		}
		if (TransactionSynchronizationManager.hasResource(WAKE_REGISTERED)) {
			return;
		}
		TransactionSynchronizationManager.bindResource(WAKE_REGISTERED, Boolean.TRUE);
		TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
			@Override
			public void afterCommit() {
				wakeUp.run();
			}

			@Override
			public void afterCompletion(int status) {
				TransactionSynchronizationManager.unbindResourceIfPossible(WAKE_REGISTERED);
			}
		});
	}

	/**
	 * Takes a lease on up to {@code max} due deliveries: pending, due by now, not leased by a live owner, and
	 * first in line for their receiver and resource.
	 */
	public List<Delivery> claim(String owner, int max, long leaseMillis) {
		return newTransaction.execute(tx -> {
			long now = clock.millis();
			List<Long> candidates = jdbc.queryForList("SELECT ID FROM " + TABLE + " d WHERE STATE = '" + PENDING
					+ "' AND NEXT_AT <= ? AND (LEASE_UNTIL IS NULL OR LEASE_UNTIL < ?) AND NOT EXISTS (SELECT 1 FROM " + TABLE
					+ " e WHERE e.CHANNEL = d.CHANNEL AND e.RECEIVER = d.RECEIVER AND e.RESOURCE_KEY = d.RESOURCE_KEY"
					+ " AND e.STATE = '" + PENDING + "' AND e.ID < d.ID) ORDER BY NEXT_AT, ID FETCH FIRST " + max + " ROWS ONLY"
					+ (skipLocked ? " FOR UPDATE SKIP LOCKED" : ""), Long.class, now, now);
			List<Delivery> claimed = new ArrayList<>(candidates.size());
			for (Long id : candidates) {
				int taken = jdbc.update("UPDATE " + TABLE + " SET LEASE_OWNER = ?, LEASE_UNTIL = ? WHERE ID = ? AND STATE = '"
						+ PENDING + "' AND (LEASE_UNTIL IS NULL OR LEASE_UNTIL < ?)", owner, now + leaseMillis, id, now);
				if (taken == 1) {
					claimed.add(jdbc.queryForObject("SELECT " + COLUMNS + " FROM " + TABLE + " WHERE ID = ?", ROW, id));
				}
			}
			return claimed;
		});
	}

	/** Acknowledged by the receiver. False when the lease had passed to another instance. */
	public boolean delivered(Delivery d, String owner) {
		long now = clock.millis();
		return jdbc.update("UPDATE " + TABLE + " SET STATE = '" + DELIVERED + "', ATTEMPTS = ?, LAST_AT = ?, DONE_AT = ?,"
				+ " LEASE_OWNER = NULL, LEASE_UNTIL = NULL WHERE ID = ? AND LEASE_OWNER = ?", d.attempts() + 1, now, now,
				d.id(), owner) == 1;
	}

	/**
	 * A failed attempt: tried again at {@code next}, or a dead letter when {@code next} is empty (the window
	 * has closed).
	 */
	public boolean failed(Delivery d, String owner, String error, Optional<Instant> next) {
		long now = clock.millis();
		return jdbc.update("UPDATE " + TABLE + " SET STATE = ?, ATTEMPTS = ?, LAST_AT = ?, ERROR_AT = ?, LAST_ERROR = ?,"
				+ " NEXT_AT = ?, DONE_AT = ?, LEASE_OWNER = NULL, LEASE_UNTIL = NULL WHERE ID = ? AND LEASE_OWNER = ?",
				next.isPresent() ? PENDING : DEAD, d.attempts() + 1, now, now, truncate(error),
				next.map(Instant::toEpochMilli).orElse(now), next.isPresent() ? null : now, d.id(), owner) == 1;
	}

	/** Not delivered, by design: the Subscription is gone or off ({@value #CANCELLED}), or did not match ({@value #NOT_MATCHED}). */
	public boolean ended(Delivery d, String owner, String state, String why) {
		long now = clock.millis();
		if (NOT_MATCHED.equals(state)) {
			// Not an error: the receiver never wanted it. Its last error (if any) stays what it was.
			return jdbc.update("UPDATE " + TABLE + " SET STATE = ?, LAST_AT = ?, DONE_AT = ?, LEASE_OWNER = NULL,"
					+ " LEASE_UNTIL = NULL WHERE ID = ? AND LEASE_OWNER = ?", state, now, now, d.id(), owner) == 1;
		}
		// Cancelled: why it will never arrive is the receiver's latest error, as of now.
		return jdbc.update("UPDATE " + TABLE + " SET STATE = ?, LAST_AT = ?, DONE_AT = ?, ERROR_AT = ?, LAST_ERROR = ?,"
				+ " LEASE_OWNER = NULL, LEASE_UNTIL = NULL WHERE ID = ? AND LEASE_OWNER = ?", state, now, now, now,
				truncate(why), d.id(), owner) == 1;
	}

	/** Gives a lease back untried (the instance is stopping). */
	public void release(Delivery d, String owner) {
		jdbc.update("UPDATE " + TABLE + " SET LEASE_OWNER = NULL, LEASE_UNTIL = NULL WHERE ID = ? AND LEASE_OWNER = ?",
				d.id(), owner);
	}

	public Optional<Row> find(long id) {
		return jdbc.query("SELECT * FROM " + TABLE + " WHERE ID = ?", Row.MAPPER, id).stream().findFirst();
	}

	/**
	 * A dead letter becomes pending again, due now, with a fresh retry window; its identity stays the same.
	 * False when it is not (or no longer) a dead letter.
	 */
	public boolean replay(long id) {
		long now = clock.millis();
		boolean replayed = jdbc.update("UPDATE " + TABLE + " SET STATE = '" + PENDING + "', DUE_AT = ?, NEXT_AT = ?,"
				+ " DONE_AT = NULL, REPLAYS = REPLAYS + 1 WHERE ID = ? AND STATE = '" + DEAD + "'", now, now, id) == 1;
		if (replayed) {
			wakeUp.run();
		}
		return replayed;
	}

	/** Dead letters of a receiver, oldest first. */
	public List<Row> deadLetters(String channel, String receiver, int max) {
		return jdbc.query("SELECT * FROM " + TABLE + " WHERE CHANNEL = ? AND RECEIVER = ? AND STATE = '" + DEAD
				+ "' ORDER BY ID FETCH FIRST " + max + " ROWS ONLY", Row.MAPPER, channel, receiver);
	}

	/**
	 * What a listing of the outbox keeps (the console's deliveries page). Each part null for any.
	 *
	 * @param state    {@value #PENDING}, {@value #DELIVERED}, {@value #DEAD}, {@value #CANCELLED}, {@value #NOT_MATCHED},
	 *                 or {@value #FAILING}: pending after at least one failed attempt
	 * @param channel  {@link DeliveryChannel#REST_HOOK}, {@link DeliveryChannel#HL7V2}, or another channel's name
	 * @param receiver the Subscription's id or the HL7 v2 receiver's id
	 */
	public record Listing(String state, String channel, String receiver) {

		public static final Listing ALL = new Listing(null, null, null);

		/** The WHERE clause (empty or starting with a space) and its arguments, in order. */
		String where(List<Object> args) {
			List<String> conditions = new ArrayList<>();
			if (state != null) {
				if (FAILING.equals(state)) {
					conditions.add("STATE = '" + PENDING + "' AND ATTEMPTS > 0");
				} else {
					conditions.add("STATE = ?");
					args.add(state);
				}
			}
			if (channel != null) {
				conditions.add("CHANNEL = ?");
				args.add(channel);
			}
			if (receiver != null) {
				conditions.add("RECEIVER = ?");
				args.add(receiver);
			}
			return conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
		}
	}

	/** Rows of a listing, newest first (the last ones to become due lead: what just happened is on top). */
	public List<Row> list(Listing listing, long offset, int limit) {
		List<Object> args = new ArrayList<>();
		String where = listing.where(args);
		return jdbc.query("SELECT * FROM " + TABLE + where + " ORDER BY ID DESC OFFSET " + Math.max(0, offset)
				+ " ROWS FETCH NEXT " + Math.max(0, limit) + " ROWS ONLY", Row.MAPPER, args.toArray());
	}

	/** How many rows a listing has in all. */
	public long count(Listing listing) {
		List<Object> args = new ArrayList<>();
		String where = listing.where(args);
		Long n = jdbc.queryForObject("SELECT COUNT(*) FROM " + TABLE + where, Long.class, args.toArray());
		return n == null ? 0 : n;
	}

	/**
	 * Per receiver, its failing deliveries: pending after at least one failed attempt (keyed
	 * {@code channel + "|" + receiver}; receivers with none are absent).
	 */
	public Map<String, Long> failingPerReceiver() {
		Map<String, Long> failing = new java.util.LinkedHashMap<>();
		jdbc.query("SELECT CHANNEL, RECEIVER, COUNT(*) AS N FROM " + TABLE + " WHERE STATE = '" + PENDING
				+ "' AND ATTEMPTS > 0 GROUP BY CHANNEL, RECEIVER", (ResultSet rs) -> {
					failing.put(rs.getString("CHANNEL") + "|" + rs.getString("RECEIVER"), rs.getLong("N"));
				});
		return failing;
	}

	/** Per receiver that has ever had a delivery: counts, the oldest pending, last success and last error. */
	public List<ReceiverCounts> counts() {
		return countsWhere(null, null);
	}

	/** The counts of one receiver (none when it never had a delivery). */
	public ReceiverCounts counts(String channel, String receiver) {
		return countsWhere(channel, receiver).stream().findFirst().orElse(ReceiverCounts.none(channel, receiver));
	}

	private List<ReceiverCounts> countsWhere(String channel, String receiver) {
		Object[] args = channel == null ? new Object[0] : new Object[] {channel, receiver};
		// TOTAL counts what the receiver was owed: not the rows a database match found outside its criteria.
		List<ReceiverCounts> counts = jdbc.query("SELECT CHANNEL, RECEIVER,"
				+ " SUM(CASE WHEN STATE <> '" + NOT_MATCHED + "' THEN 1 ELSE 0 END) AS TOTAL,"
				+ " SUM(CASE WHEN STATE = '" + PENDING + "' THEN 1 ELSE 0 END) AS PENDING_N,"
				+ " SUM(CASE WHEN STATE = '" + DELIVERED + "' THEN 1 ELSE 0 END) AS DELIVERED_N,"
				+ " SUM(CASE WHEN STATE = '" + DEAD + "' THEN 1 ELSE 0 END) AS DEAD_N,"
				+ " SUM(CASE WHEN STATE = '" + CANCELLED + "' THEN 1 ELSE 0 END) AS CANCELLED_N,"
				+ " MIN(CASE WHEN STATE = '" + PENDING + "' THEN DUE_AT END) AS OLDEST_PENDING,"
				+ " MAX(CASE WHEN STATE = '" + DELIVERED + "' THEN DONE_AT END) AS LAST_DELIVERED,"
				+ " MAX(ERROR_AT) AS LAST_ERROR_AT FROM " + TABLE
				+ (channel == null ? "" : " WHERE CHANNEL = ? AND RECEIVER = ?") + " GROUP BY CHANNEL, RECEIVER",
				(rs, n) -> new ReceiverCounts(rs.getString("CHANNEL"), rs.getString("RECEIVER"), rs.getLong("TOTAL"),
						rs.getLong("PENDING_N"), rs.getLong("DELIVERED_N"), rs.getLong("DEAD_N"), rs.getLong("CANCELLED_N"),
						instant(rs, "OLDEST_PENDING"),
						instant(rs, "LAST_DELIVERED"), instant(rs, "LAST_ERROR_AT"), null), args);
		List<ReceiverCounts> withErrors = new ArrayList<>(counts.size());
		for (ReceiverCounts c : counts) {
			String error = c.lastErrorAt() == null ? null : jdbc.query("SELECT LAST_ERROR FROM " + TABLE
					+ " WHERE CHANNEL = ? AND RECEIVER = ? AND ERROR_AT = ? ORDER BY ID DESC FETCH FIRST 1 ROWS ONLY",
					(rs, n) -> rs.getString(1), c.channel(), c.receiver(), c.lastErrorAt().toEpochMilli()).stream()
					.findFirst().orElse(null);
			withErrors.add(c.withLastError(error));
		}
		return withErrors;
	}

	private static Instant instant(ResultSet rs, String column) throws SQLException {
		long value = rs.getLong(column);
		return rs.wasNull() ? null : Instant.ofEpochMilli(value);
	}

	private static String truncate(String text) {
		return text == null || text.length() <= MAX_ERROR ? text : text.substring(0, MAX_ERROR);
	}

	/** A receiver's deliveries, summed. Times are null when there is none of that kind. */
	public record ReceiverCounts(String channel, String receiver, long total, long pending, long delivered, long dead,
			long cancelled, Instant oldestPending, Instant lastDelivered, Instant lastErrorAt, String lastError) {

		ReceiverCounts withLastError(String error) {
			return new ReceiverCounts(channel, receiver, total, pending, delivered, dead, cancelled, oldestPending,
					lastDelivered, lastErrorAt, error);
		}

		public static ReceiverCounts none(String channel, String receiver) {
			return new ReceiverCounts(channel, receiver, 0, 0, 0, 0, 0, null, null, null, null);
		}
	}

	/** A whole outbox row, for status and replay. */
	public record Row(Delivery delivery, String state, int replays, Instant created, Instant lastAttempt, Instant done,
			String lastError, Instant nextAttempt) {

		static final RowMapper<Row> MAPPER = (rs, n) -> new Row(ROW.mapRow(rs, n), rs.getString("STATE"),
				rs.getInt("REPLAYS"), Instant.ofEpochMilli(rs.getLong("CREATED_AT")), instant(rs, "LAST_AT"),
				instant(rs, "DONE_AT"), rs.getString("LAST_ERROR"),
				PENDING.equals(rs.getString("STATE")) ? instant(rs, "NEXT_AT") : null);

		/** The state as the console shows it: {@value DeliveryOutbox#FAILING} for a pending delivery whose attempts failed so far. */
		public String shownState() {
			return PENDING.equals(state) && delivery.attempts() > 0 ? FAILING : state;
		}
	}
}
