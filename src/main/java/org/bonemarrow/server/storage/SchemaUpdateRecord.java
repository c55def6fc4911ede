package org.bonemarrow.server.storage;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Whether this database's schema is already what Hibernate's {@code hbm2ddl=update} would make it, so a restart
 * can skip the update.
 *
 * <p>Why (issue 17): the update reads the metadata of every table and index before concluding there is nothing to
 * do, and on H2 that grows with the data (14 s of a 53 s restart on a 6,000-exam database). Every table it manages
 * is one of HAPI's JPA entities, so what the schema should be is fixed by the HAPI version, the Hibernate version
 * and the {@code hibernate.*} settings (dialect, unique-constraint strategy, ...). This record keeps a SHA-256 of
 * those, written after an update completed; a start with the same fingerprint runs with {@code hbm2ddl=none}, any
 * other start (a fresh database, an upgrade, a changed setting) updates as before. Our own tables (outboxes,
 * records) are created by their owners with {@code CREATE TABLE IF NOT EXISTS} and are not concerned.
 */
public class SchemaUpdateRecord {

	private static final Logger log = LoggerFactory.getLogger(SchemaUpdateRecord.class);

	static final String TABLE = "BME_SCHEMA_UPDATE";
	private static final String NAME = "hibernate-hbm2ddl-update";

	private final JdbcTemplate jdbc;
	private final String fingerprint;
	private final boolean current;

	/**
	 * @param hibernateSettings the {@code hibernate.*} JPA properties of this start
	 */
	public SchemaUpdateRecord(DataSource dataSource, String hapiVersion, String hibernateVersion,
			Map<String, ?> hibernateSettings) {
		this.jdbc = new JdbcTemplate(dataSource);
		this.fingerprint = fingerprint(hapiVersion, hibernateVersion, hibernateSettings);
		createTableIfMissing();
		this.current = jdbc.queryForList("SELECT FINGERPRINT FROM " + TABLE + " WHERE NAME = ?", String.class, NAME)
				.stream().anyMatch(fingerprint::equals);
	}

	/** True when the last completed update was made by the same HAPI, Hibernate and settings. */
	public boolean isCurrent() {
		return current;
	}

	/** The JPA properties for this start: {@code hbm2ddl.auto=none} when the schema is current, else unchanged. */
	public Map<String, Object> jpaProperties(Map<String, ?> configured) {
		Map<String, Object> properties = new TreeMap<>(configured);
		if (current && "update".equals(String.valueOf(configured.get("hibernate.hbm2ddl.auto")))) {
			properties.put("hibernate.hbm2ddl.auto", "none");
			log.info("Database schema already updated by this HAPI, Hibernate and settings: schema update skipped");
		}
		return properties;
	}

	/** Called once the entity manager factory (and with it the schema update) is built. */
	public void recordUpdated() {
		if (current) {
			return;
		}
		int updated = jdbc.update("UPDATE " + TABLE + " SET FINGERPRINT = ?, UPDATED = CURRENT_TIMESTAMP WHERE NAME = ?",
				fingerprint, NAME);
		if (updated == 0) {
			try {
				jdbc.update("INSERT INTO " + TABLE + " (NAME, FINGERPRINT, UPDATED) VALUES (?, ?, CURRENT_TIMESTAMP)",
						NAME, fingerprint);
			} catch (DataAccessException e) {
				// Another instance over the same PostgreSQL recorded the same update meanwhile.
				jdbc.update("UPDATE " + TABLE + " SET FINGERPRINT = ?, UPDATED = CURRENT_TIMESTAMP WHERE NAME = ?",
						fingerprint, NAME);
			}
		}
	}

	private void createTableIfMissing() {
		try {
			jdbc.execute("CREATE TABLE IF NOT EXISTS " + TABLE
					+ " (NAME VARCHAR(100) PRIMARY KEY, FINGERPRINT VARCHAR(100) NOT NULL, UPDATED TIMESTAMP NOT NULL)");
		} catch (DataAccessException e) {
			// Two instances starting together over PostgreSQL may race on CREATE TABLE IF NOT EXISTS.
			jdbc.queryForObject("SELECT COUNT(*) FROM " + TABLE, Integer.class);
		}
	}

	/** SHA-256 over the versions and every {@code hibernate.*} setting, sorted by name. */
	static String fingerprint(String hapiVersion, String hibernateVersion, Map<String, ?> hibernateSettings) {
		StringBuilder text = new StringBuilder("hapi=").append(hapiVersion).append("\nhibernate=").append(hibernateVersion);
		new TreeMap<>(hibernateSettings).forEach((name, value) -> {
			if (name.startsWith("hibernate.")) {
				text.append('\n').append(name).append('=').append(value);
			}
		});
		try {
			return "sha256:" + HexFormat.of().formatHex(
					MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8)));
		} catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException("SHA-256 is part of every Java platform", e);
		}
	}
}
