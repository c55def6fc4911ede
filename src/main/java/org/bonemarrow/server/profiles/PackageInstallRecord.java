package org.bonemarrow.server.profiles;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * What the last complete package installation put into this database: a SHA-256 over the exact package bytes
 * (ours and every site package, in order) and the HAPI version that installed them.
 *
 * <p>Why (issue 17): on a restart HAPI's installer took about six seconds to parse the package and compare
 * every resource with the stored one, only to find nothing to do. With this record, a restart whose packages
 * and HAPI are byte-for-byte what the database already holds skips it; anything else (a new package version, a
 * changed site package, a HAPI upgrade, a database that never finished an installation) installs as before.
 * The record is written only after an installation completed, in the database itself, so every instance over
 * one PostgreSQL sees the same answer.
 */
public class PackageInstallRecord {

	static final String TABLE = "BME_PACKAGE_INSTALL";
	private static final String NAME = "profile-packages";

	private final JdbcTemplate jdbc;

	public PackageInstallRecord(DataSource dataSource) {
		this.jdbc = new JdbcTemplate(dataSource);
		try {
			jdbc.execute("CREATE TABLE IF NOT EXISTS " + TABLE
					+ " (NAME VARCHAR(100) PRIMARY KEY, FINGERPRINT VARCHAR(100) NOT NULL, INSTALLED TIMESTAMP NOT NULL)");
		} catch (DataAccessException e) {
			// Two instances starting together over PostgreSQL may race on CREATE TABLE IF NOT EXISTS.
			jdbc.queryForObject("SELECT COUNT(*) FROM " + TABLE, Integer.class);
		}
	}

	/** True when the last completed installation was of exactly this fingerprint. */
	public boolean isInstalled(String fingerprint) {
		return stored().filter(fingerprint::equals).isPresent();
	}

	/** Called after an installation completed. */
	public void recordInstalled(String fingerprint) {
		int updated = jdbc.update("UPDATE " + TABLE + " SET FINGERPRINT = ?, INSTALLED = CURRENT_TIMESTAMP WHERE NAME = ?",
				fingerprint, NAME);
		if (updated == 0) {
			try {
				jdbc.update("INSERT INTO " + TABLE + " (NAME, FINGERPRINT, INSTALLED) VALUES (?, ?, CURRENT_TIMESTAMP)",
						NAME, fingerprint);
			} catch (DataAccessException e) {
				// Another instance inserted it meanwhile, after the same installation.
				jdbc.update("UPDATE " + TABLE + " SET FINGERPRINT = ?, INSTALLED = CURRENT_TIMESTAMP WHERE NAME = ?",
						fingerprint, NAME);
			}
		}
	}

	Optional<String> stored() {
		return jdbc.queryForList("SELECT FINGERPRINT FROM " + TABLE + " WHERE NAME = ?", String.class, NAME).stream()
				.findFirst();
	}

	/** SHA-256 over the HAPI version and each package's bytes, each part length-prefixed so parts cannot run together. */
	public static String fingerprint(String hapiVersion, List<byte[]> packages) {
		try {
			MessageDigest sha = MessageDigest.getInstance("SHA-256");
			update(sha, hapiVersion.getBytes(StandardCharsets.UTF_8));
			for (byte[] p : packages) {
				update(sha, p);
			}
			return "sha256:" + HexFormat.of().formatHex(sha.digest());
		} catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException("SHA-256 is part of every Java platform", e);
		}
	}

	private static void update(MessageDigest sha, byte[] part) {
		sha.update(Long.toString(part.length).getBytes(StandardCharsets.US_ASCII));
		sha.update((byte) ':');
		sha.update(part);
	}
}
