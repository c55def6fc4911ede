package org.bonemarrow.server.profiles;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/** The record that lets a restart skip HAPI's package installer: only an exact match of what was installed counts. */
class PackageInstallRecordTest {

	private static final byte[] OURS = "our package".getBytes(StandardCharsets.UTF_8);
	private static final byte[] SITE = "a site package".getBytes(StandardCharsets.UTF_8);

	@Test
	void aFreshDatabaseHasNothingInstalledAndARecordedInstallationIsFoundAgain() {
		JdbcDataSource db = database();
		String fingerprint = PackageInstallRecord.fingerprint("8.8.0", List.of(OURS, SITE));
		assertThat(new PackageInstallRecord(db).isInstalled(fingerprint)).isFalse();

		new PackageInstallRecord(db).recordInstalled(fingerprint);

		// A new start over the same database (the table exists already).
		PackageInstallRecord restarted = new PackageInstallRecord(db);
		assertThat(restarted.isInstalled(fingerprint)).isTrue();
		assertThat(restarted.isInstalled(PackageInstallRecord.fingerprint("8.8.0", List.of(OURS)))).isFalse();

		String upgraded = PackageInstallRecord.fingerprint("8.10.0", List.of(OURS, SITE));
		restarted.recordInstalled(upgraded);
		assertThat(restarted.isInstalled(upgraded)).isTrue();
		assertThat(restarted.isInstalled(fingerprint)).isFalse();
	}

	@Test
	void anyChangedByteVersionOrPackageListChangesTheFingerprint() {
		String base = PackageInstallRecord.fingerprint("8.8.0", List.of(OURS, SITE));
		byte[] changed = OURS.clone();
		changed[0] ^= 1;
		assertThat(PackageInstallRecord.fingerprint("8.8.0", List.of(OURS, SITE))).isEqualTo(base);
		assertThat(PackageInstallRecord.fingerprint("8.8.0", List.of(changed, SITE))).isNotEqualTo(base);
		assertThat(PackageInstallRecord.fingerprint("8.8.1", List.of(OURS, SITE))).isNotEqualTo(base);
		assertThat(PackageInstallRecord.fingerprint("8.8.0", List.of(OURS))).isNotEqualTo(base);
		assertThat(PackageInstallRecord.fingerprint("8.8.0", List.of(SITE, OURS))).isNotEqualTo(base);
		// Parts are length-prefixed: moving bytes from one package to the next is a different installation.
		assertThat(PackageInstallRecord.fingerprint("8.8.0", List.of("ab".getBytes(), "c".getBytes())))
				.isNotEqualTo(PackageInstallRecord.fingerprint("8.8.0", List.of("a".getBytes(), "bc".getBytes())));
	}

	private static JdbcDataSource database() {
		JdbcDataSource ds = new JdbcDataSource();
		ds.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
		ds.setUser("sa");
		return ds;
	}
}
