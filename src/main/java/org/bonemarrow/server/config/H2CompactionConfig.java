package org.bonemarrow.server.config;

import javax.sql.DataSource;
import org.bonemarrow.server.storage.H2FileCompactor;
import org.bonemarrow.server.storage.H2StorageProperties;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * H2 file mode only: compaction while the server runs ({@code storage.H2FileCompactor}), the other half of
 * {@link H2DataSourceConfig}'s compaction at stop. PostgreSQL, and H2 in memory, have no such file.
 */
@Configuration
@ConditionalOnExpression("'${spring.datasource.url:}'.matches('jdbc:h2:(file|async|nio):.*')")
@ConditionalOnProperty(name = "bonemarrow.h2.compaction.enabled", havingValue = "true", matchIfMissing = true)
public class H2CompactionConfig {

	@Bean
	H2FileCompactor h2FileCompactor(DataSource dataSource, H2StorageProperties properties) {
		H2StorageProperties.Compaction compaction = properties.compaction();
		return new H2FileCompactor(() -> H2FileCompactor.mvStoreOf(dataSource), compaction.interval(),
				compaction.passTime());
	}
}
