package org.bonemarrow.server.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Random;
import java.util.UUID;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bare H2 file database with the server's JDBC URL and a write loop shaped like the server's (one small
 * commit per resource: its row, its version, six index rows with random hashes, an update of a recent resource,
 * and a queue row inserted and deleted), with the compactor running beside it. Without the compactor the same
 * loop leaves the file ~7x its compacted size and growing (see the report of issue 17).
 * <p>
 * H2's retention time is cut from 45 s to 100 ms here, so that the run takes seconds: freed chunks are reused
 * only after it, and the loop writes in seconds what the server writes in minutes.
 */
class H2FileCompactorTest {

	private static final String URL_SETTINGS = ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;TRACE_LEVEL_FILE=0;RETENTION_TIME=100";
	private static final int EXISTING = 2_000;
	private static final int WRITES = 1_200;
	private static final int WRITES_PER_SECOND = 250;

	@TempDir
	Path dir;

	@Test
	void theFileStaysWithinThreeTimesItsCompactedSizeWhileWritten() throws Exception {
		String url = "jdbc:h2:async:" + dir.resolve("fhir") + URL_SETTINGS;
		Path file = dir.resolve("fhir.mv.db");
		try (Connection connection = DriverManager.getConnection(url, "sa", "")) {
			new Workload(connection).fill(EXISTING);
			shutdownCompact(connection);
		}
		long largest = 0;
		try (Connection connection = DriverManager.getConnection(url, "sa", "")) {
			Workload workload = new Workload(connection);
			MVStore store = ((SessionLocal) connection.unwrap(JdbcConnection.class).getSession()).getDatabase()
					.getStore().getMvStore();
			H2FileCompactor compactor = new H2FileCompactor(() -> store, Duration.ofMillis(100), Duration.ofMillis(50));
			compactor.start();
			try {
				long start = System.nanoTime();
				for (int i = 1; i <= WRITES; i++) {
					workload.writeOne();
					largest = Math.max(largest, Files.size(file));
					// The server's pace, not H2's top speed: compaction keeps up with a server, not with a tight loop.
					long ahead = start + i * 1_000_000_000L / WRITES_PER_SECOND - System.nanoTime();
					if (ahead > 0) {
						Thread.sleep(ahead / 1_000_000);
					}
				}
			} finally {
				compactor.stop();
			}
			shutdownCompact(connection);
		}
		long compacted = Files.size(file);
		assertThat(largest).as("largest file size while written, against %d bytes compacted", compacted)
				.isLessThanOrEqualTo(3 * compacted);
	}

	private static void shutdownCompact(Connection connection) throws SQLException {
		try (Statement statement = connection.createStatement()) {
			statement.execute("SHUTDOWN COMPACT");
		}
	}

	/**
	 * Resource-like rows, committed one resource at a time as HAPI does. Their text is random, so that H2's
	 * compression at a compacting stop barely shrinks it and the compacted size is the live data's size.
	 */
	private static final class Workload {
		private static final int TEXT_CHARS = 2_500;
		private final Connection connection;
		private final Random random = new Random(42);
		private final PreparedStatement insertResource;
		private final PreparedStatement updateResource;
		private final PreparedStatement insertVersion;
		private final PreparedStatement insertIndex;
		private final PreparedStatement insertQueued;
		private final PreparedStatement deleteQueued;
		private long resources;
		private long versions;
		private long indexRows;

		Workload(Connection connection) throws SQLException {
			this.connection = connection;
			try (Statement s = connection.createStatement()) {
				s.execute("CREATE TABLE IF NOT EXISTS RES(ID BIGINT PRIMARY KEY, FHIR_ID VARCHAR(64), VER INT, UPDATED TIMESTAMP, TXT VARCHAR(20000))");
				s.execute("CREATE INDEX IF NOT EXISTS RES_FHIR_ID ON RES(FHIR_ID)");
				s.execute("CREATE TABLE IF NOT EXISTS VER(ID BIGINT PRIMARY KEY, RES_ID BIGINT, VER INT, TXT VARCHAR(20000))");
				s.execute("CREATE INDEX IF NOT EXISTS VER_RES ON VER(RES_ID, VER)");
				s.execute("CREATE TABLE IF NOT EXISTS IDX(ID BIGINT PRIMARY KEY, RES_ID BIGINT, HASH BIGINT, VAL VARCHAR(200))");
				s.execute("CREATE INDEX IF NOT EXISTS IDX_HASH ON IDX(HASH)");
				s.execute("CREATE INDEX IF NOT EXISTS IDX_RES ON IDX(RES_ID)");
				s.execute("CREATE TABLE IF NOT EXISTS QUEUED(ID BIGINT PRIMARY KEY, PAYLOAD VARCHAR(4000))");
				resources = count(s, "RES");
				versions = count(s, "VER");
				indexRows = count(s, "IDX");
			}
			connection.setAutoCommit(false);
			insertResource = connection.prepareStatement("INSERT INTO RES VALUES(?, ?, 1, CURRENT_TIMESTAMP, ?)");
			updateResource = connection.prepareStatement("UPDATE RES SET VER = VER + 1, UPDATED = CURRENT_TIMESTAMP, TXT = ? WHERE ID = ?");
			insertVersion = connection.prepareStatement("INSERT INTO VER VALUES(?, ?, ?, ?)");
			insertIndex = connection.prepareStatement("INSERT INTO IDX VALUES(?, ?, ?, ?)");
			insertQueued = connection.prepareStatement("INSERT INTO QUEUED VALUES(?, ?)");
			deleteQueued = connection.prepareStatement("DELETE FROM QUEUED WHERE ID = ?");
		}

		/** An existing database: resources written in bulk, many to a commit. */
		void fill(int count) throws SQLException {
			for (int i = 1; i <= count; i++) {
				insertResource(text());
				if (i % 500 == 0) {
					connection.commit();
				}
			}
			connection.commit();
		}

		/** A new resource, and an update of a recent one. */
		void writeOne() throws SQLException {
			String text = text();
			long id = insertResource(text);
			long recent = Math.max(1, id - 1 - random.nextInt(500));
			updateResource.setString(1, text);
			updateResource.setLong(2, recent);
			updateResource.executeUpdate();
			insertVersion(recent, 2, text);
			insertQueued.setLong(1, id);
			insertQueued.setString(2, text.substring(0, 1000));
			insertQueued.executeUpdate();
			connection.commit();
			deleteQueued.setLong(1, id);
			deleteQueued.executeUpdate();
			connection.commit();
		}

		private long insertResource(String text) throws SQLException {
			long id = ++resources;
			insertResource.setLong(1, id);
			insertResource.setString(2, new UUID(random.nextLong(), random.nextLong()).toString());
			insertResource.setString(3, text);
			insertResource.executeUpdate();
			insertVersion(id, 1, text);
			for (int k = 0; k < 6; k++) {
				insertIndex.setLong(1, ++indexRows);
				insertIndex.setLong(2, id);
				insertIndex.setLong(3, random.nextLong());
				insertIndex.setString(4, "v" + random.nextInt());
				insertIndex.executeUpdate();
			}
			return id;
		}

		private void insertVersion(long resource, int version, String text) throws SQLException {
			insertVersion.setLong(1, ++versions);
			insertVersion.setLong(2, resource);
			insertVersion.setInt(3, version);
			insertVersion.setString(4, text);
			insertVersion.executeUpdate();
		}

		private String text() {
			char[] text = new char[TEXT_CHARS];
			for (int i = 0; i < text.length; i++) {
				text[i] = (char) ('a' + random.nextInt(26));
			}
			return new String(text);
		}

		private static long count(Statement s, String table) throws SQLException {
			try (var rows = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
				rows.next();
				return rows.getLong(1);
			}
		}
	}
}
