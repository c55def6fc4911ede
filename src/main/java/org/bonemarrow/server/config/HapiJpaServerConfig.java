package org.bonemarrow.server.config;

import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.util.VersionUtil;
import jakarta.persistence.EntityManagerFactory;
import javax.sql.DataSource;
import org.bonemarrow.server.bulk.BulkExportProperties;
import org.bonemarrow.server.storage.SchemaUpdateRecord;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.orm.jpa.JpaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

/**
 * The HAPI FHIR JPA server (R4): HAPI's own configuration classes plus the few beans HAPI expects the
 * application to define. Storage rules live here; the REST endpoint is {@link FhirRestServerConfig}.
 */
@Configuration
@Import({
	ThreadPoolFactoryConfig.class,
	SubscriptionChannelConfig.class,
	JpaR4Config.class,
	HapiJpaConfig.class,
	JpaBatch2Config.class,
	Batch2JobsConfig.class
})
public class HapiJpaServerConfig {

	@Bean
	public JpaStorageSettings jpaStorageSettings(FhirServerProperties fhir, BulkExportProperties bulkExport) {
		JpaStorageSettings settings = new JpaStorageSettings();
		// Integrations poll (DiagnosticReport?based-on=...): HAPI would otherwise answer an identical search
		// from a stored result for 60 s, even across restarts, and hide a report that was just written.
		settings.setReuseCachedSearchResultsForMillis(fhir.searchCacheReuseMillis() > 0 ? fhir.searchCacheReuseMillis() : null);
		settings.setFetchSizeDefaultMaximum(fhir.maxPageSize());
		// A reference to a resource that does not exist is an error (422/400), never a silent placeholder.
		settings.setAutoCreatePlaceholderReferenceTargets(false);
		settings.setEnforceReferentialIntegrityOnWrite(true);
		settings.setEnforceReferentialIntegrityOnDelete(true);
		settings.setAllowExternalReferences(false);
		settings.setAllowMultipleDelete(false);
		settings.setExpungeEnabled(false);
		// Our ValueSets list their concepts explicitly and are expanded in memory by the validator; HAPI's
		// database pre-expansion needs Hibernate Search, which is off.
		settings.setPreExpandValueSets(false);
		settings.setEnableTaskPreExpandValueSets(false);

		// Bulk Data $export (config.BulkExportConfig). Each export is its own job: HAPI would otherwise hand a
		// second client the job (and files) of an identical earlier request by another client.
		settings.setEnableTaskBulkExportJobExecution(bulkExport.enabled());
		settings.setEnableBulkExportJobReuse(false);
		settings.setBulkExportFileMaximumCapacity(bulkExport.resourcesPerFile());
		settings.setBulkExportFileRetentionPeriodHours((int) bulkExport.fileRetention().toHours());
		// A job whose step produced one work chunk moves on at once instead of at the next maintenance pass.
		settings.setJobFastTrackingEnabled(true);
		return settings;
	}

	@Bean
	public PartitionSettings partitionSettings() {
		return new PartitionSettings();
	}

	@Bean
	@Primary
	public LocalContainerEntityManagerFactoryBean entityManagerFactory(
			ConfigurableListableBeanFactory beanFactory,
			FhirContext fhirContext,
			JpaStorageSettings storageSettings,
			DataSource dataSource,
			JpaProperties jpaProperties,
			SchemaUpdateRecord schemaUpdates) {
		LocalContainerEntityManagerFactoryBean emf =
				HapiEntityManagerFactoryUtil.newEntityManagerFactory(beanFactory, fhirContext, storageSettings);
		emf.setPersistenceUnitName("HAPI_PU");
		emf.setDataSource(dataSource);
		// Dialect and Hibernate tuning come from spring.jpa.properties (one place per database profile); the
		// schema update is skipped when this database already had it from the same HAPI, Hibernate and settings.
		emf.setJpaPropertyMap(schemaUpdates.jpaProperties(jpaProperties.getProperties()));
		return emf;
	}

	@Bean
	public SchemaUpdateRecord schemaUpdateRecord(DataSource dataSource, JpaProperties jpaProperties) {
		return new SchemaUpdateRecord(dataSource, VersionUtil.getVersion(), org.hibernate.Version.getVersionString(),
				jpaProperties.getProperties());
	}

	/** Once every singleton exists, the entity manager factory has been built and its schema update has run. */
	@Bean
	public SmartInitializingSingleton schemaUpdateRecorded(SchemaUpdateRecord schemaUpdates, EntityManagerFactory entityManagerFactory) {
		return schemaUpdates::recordUpdated;
	}

	@Bean
	@Primary
	public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
		return new JpaTransactionManager(entityManagerFactory);
	}
}
