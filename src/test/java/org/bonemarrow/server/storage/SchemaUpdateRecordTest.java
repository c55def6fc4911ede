package org.bonemarrow.server.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.UUID;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/** A restart skips Hibernate's schema update only when the same HAPI, Hibernate and settings completed one here. */
class SchemaUpdateRecordTest {

	private static final Map<String, Object> SETTINGS = Map.of(
			"hibernate.hbm2ddl.auto", "update",
			"hibernate.dialect", "ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect",
			"hibernate.schema_update.unique_constraint_strategy", "recreate_quietly");

	@Test
	void aFreshDatabaseIsUpdatedAndARestartWithTheSameSoftwareIsNot() {
		JdbcDataSource db = database();
		SchemaUpdateRecord first = new SchemaUpdateRecord(db, "8.8.0", "6.6.33.Final", SETTINGS);
		assertThat(first.isCurrent()).isFalse();
		assertThat(first.jpaProperties(SETTINGS)).containsEntry("hibernate.hbm2ddl.auto", "update");
		first.recordUpdated();

		SchemaUpdateRecord restart = new SchemaUpdateRecord(db, "8.8.0", "6.6.33.Final", SETTINGS);
		assertThat(restart.isCurrent()).isTrue();
		assertThat(restart.jpaProperties(SETTINGS))
				.containsEntry("hibernate.hbm2ddl.auto", "none")
				.containsEntry("hibernate.dialect", "ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect");
	}

	@Test
	void anUpgradeOrAChangedHibernateSettingUpdatesAgain() {
		JdbcDataSource db = database();
		new SchemaUpdateRecord(db, "8.8.0", "6.6.33.Final", SETTINGS).recordUpdated();

		assertThat(new SchemaUpdateRecord(db, "8.10.0", "6.6.33.Final", SETTINGS).isCurrent()).isFalse();
		assertThat(new SchemaUpdateRecord(db, "8.8.0", "6.6.34.Final", SETTINGS).isCurrent()).isFalse();
		Map<String, Object> otherStrategy = new java.util.HashMap<>(SETTINGS);
		otherStrategy.put("hibernate.schema_update.unique_constraint_strategy", "drop_recreate_quietly");
		assertThat(new SchemaUpdateRecord(db, "8.8.0", "6.6.33.Final", otherStrategy).isCurrent()).isFalse();
		// A non-Hibernate setting does not concern the schema.
		Map<String, Object> withOther = new java.util.HashMap<>(SETTINGS);
		withOther.put("spring.something", "else");
		assertThat(new SchemaUpdateRecord(db, "8.8.0", "6.6.33.Final", withOther).isCurrent()).isTrue();

		// After the upgrade's update the new fingerprint is the current one.
		SchemaUpdateRecord upgraded = new SchemaUpdateRecord(db, "8.10.0", "6.6.33.Final", SETTINGS);
		upgraded.recordUpdated();
		assertThat(new SchemaUpdateRecord(db, "8.10.0", "6.6.33.Final", SETTINGS).isCurrent()).isTrue();
		assertThat(new SchemaUpdateRecord(db, "8.8.0", "6.6.33.Final", SETTINGS).isCurrent()).isFalse();
	}

	@Test
	void aServerThatDoesNotUpdateItsSchemaIsLeftAsConfigured() {
		JdbcDataSource db = database();
		Map<String, Object> validate = new java.util.HashMap<>(SETTINGS);
		validate.put("hibernate.hbm2ddl.auto", "validate");
		new SchemaUpdateRecord(db, "8.8.0", "6.6.33.Final", validate).recordUpdated();
		SchemaUpdateRecord restart = new SchemaUpdateRecord(db, "8.8.0", "6.6.33.Final", validate);
		assertThat(restart.isCurrent()).isTrue();
		assertThat(restart.jpaProperties(validate)).containsEntry("hibernate.hbm2ddl.auto", "validate");
	}

	private static JdbcDataSource database() {
		JdbcDataSource ds = new JdbcDataSource();
		ds.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
		ds.setUser("sa");
		return ds;
	}
}
