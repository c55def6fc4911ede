package org.bonemarrow.server.config;

import ca.uhn.fhir.batch2.api.IJobCoordinator;
import ca.uhn.fhir.batch2.api.IJobMaintenanceService;
import ca.uhn.fhir.batch2.jobs.export.BulkDataExportProvider;
import ca.uhn.fhir.batch2.maintenance.JobMaintenanceServiceImpl;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import org.bonemarrow.server.bulk.BulkExportAudit;
import org.bonemarrow.server.bulk.BulkExportGate;
import org.bonemarrow.server.bulk.BulkExportProperties;
import org.bonemarrow.server.bulk.ExportOwnership;
import org.bonemarrow.server.bulk.ExportProgress;
import org.bonemarrow.server.bulk.ExportedResourceFilter;
import org.bonemarrow.server.fhir.FhirServerCustomizer;
import org.bonemarrow.server.security.audit.AuditTrail;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * FHIR Bulk Data {@code $export} (package bulk): HAPI's provider and batch2 job (HapiJpaServerConfig imports
 * Batch2JobsConfig, which defines the job), with our kick-off gate, ownership of jobs and files, audit and
 * filter around it. Off with {@code bonemarrow.bulk-export.enabled=false}: then {@code $export} is not routed
 * and HAPI runs no export job (JpaStorageSettings).
 */
@Configuration
@ConditionalOnProperty(name = "bonemarrow.bulk-export.enabled", havingValue = "true", matchIfMissing = true)
public class BulkExportConfig {

	/** HAPI's provider is a (lazy) bean of JpaConfig; only registering it with the endpoint routes $export. */
	@Bean
	FhirServerCustomizer bulkExport(BulkDataExportProvider provider, IJobCoordinator jobs,
			IJobMaintenanceService maintenance, BulkExportProperties properties, ObjectProvider<AuditTrail> trail) {
		return server -> {
			server.registerProvider(provider);
			server.registerInterceptor(new BulkExportGate());
			server.registerInterceptor(new ExportOwnership(jobs));
			server.registerInterceptor(new ExportProgress(maintenance, properties.maintenanceInterval()));
			trail.ifAvailable(t -> server.registerInterceptor(new BulkExportAudit(t)));
		};
	}

	/** On HAPI's JPA interceptor service: the export job calls its hooks there, outside any HTTP request. */
	@Bean
	ExportedResourceFilter exportedResourceFilter(IInterceptorService jpaInterceptors) {
		ExportedResourceFilter filter = new ExportedResourceFilter();
		jpaInterceptors.registerInterceptor(filter);
		return filter;
	}

	/**
	 * HAPI's batch2 maintenance pass (every minute by default) moves a job from step to step and runs the
	 * final report step; set before the scheduler starts (on context refresh). Small exports are fast-tracked
	 * and do not wait for it.
	 */
	@Bean
	Object batch2MaintenanceInterval(IJobMaintenanceService maintenance, BulkExportProperties properties) {
		if (maintenance instanceof JobMaintenanceServiceImpl impl) {
			impl.setScheduledJobFrequencyMillis(properties.maintenanceInterval().toMillis());
		}
		return properties.maintenanceInterval();
	}
}
