package org.bonemarrow.server.config;

import org.bonemarrow.server.fhir.FhirServerCustomizer;
import org.bonemarrow.server.fhir.StrictRequestParsing;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Request bodies with content R4 does not define are refused ({@code bonemarrow.fhir.parsing: strict},
 * the default) or, for a site whose senders cannot be fixed yet, stored without it as HAPI does by default
 * ({@code lenient}). Applied to the REST endpoint as a {@link FhirServerCustomizer}.
 */
@Configuration
public class RequestParsingConfig {

	@Bean
	StrictRequestParsing strictRequestParsing(FhirServerProperties fhir) {
		return new StrictRequestParsing(fhir.parsing());
	}
}
