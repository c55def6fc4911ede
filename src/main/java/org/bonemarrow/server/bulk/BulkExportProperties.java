package org.bonemarrow.server.bulk;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * FHIR Bulk Data {@code $export} ({@code bonemarrow.bulk-export.*} in application.yaml), run by HAPI's batch2
 * jobs; the NDJSON files are Binary resources in this server's own database.
 *
 * @param enabled             whether {@code $export} is offered at all (true | false)
 * @param resourcesPerFile    resources per NDJSON output file; a larger export gets more files (100..100000)
 * @param fileRetention       how long the output files of a finished export are kept before HAPI deletes them
 *                            (1h..30d, whole hours)
 * @param maintenanceInterval how often HAPI's batch2 maintenance pass moves jobs on (all batch2 jobs; 1s..1h).
 *                            A small export finishes without waiting for it (fast-tracking)
 */
@ConfigurationProperties("bonemarrow.bulk-export")
public record BulkExportProperties(
		@DefaultValue("true") boolean enabled,
		@DefaultValue("1000") int resourcesPerFile,
		@DefaultValue("2h") Duration fileRetention,
		@DefaultValue("10s") Duration maintenanceInterval) {

	public BulkExportProperties {
		if (resourcesPerFile < 100 || resourcesPerFile > 100_000) {
			throw new IllegalArgumentException("bonemarrow.bulk-export.resources-per-file must be 100..100000, was "
					+ resourcesPerFile);
		}
		if (fileRetention == null || fileRetention.toHours() < 1 || fileRetention.toDays() > 30
				|| fileRetention.toMinutesPart() != 0 || fileRetention.toSecondsPart() != 0) {
			throw new IllegalArgumentException("bonemarrow.bulk-export.file-retention must be whole hours, 1h..30d, was "
					+ fileRetention);
		}
		if (maintenanceInterval == null || maintenanceInterval.compareTo(Duration.ofSeconds(1)) < 0
				|| maintenanceInterval.compareTo(Duration.ofHours(1)) > 0) {
			throw new IllegalArgumentException("bonemarrow.bulk-export.maintenance-interval must be 1s..1h, was "
					+ maintenanceInterval);
		}
	}
}
