package org.bonemarrow.server.config;

import org.bonemarrow.server.fhir.ParsingMode;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the FHIR endpoint ({@code bonemarrow.fhir.*} in application.yaml).
 *
 * @param serverName              name shown in CapabilityStatement.software.name
 * @param defaultPageSize         search page size when the client sends no {@code _count}
 * @param maxPageSize             upper bound for {@code _count}
 * @param searchCacheReuseMillis  how long HAPI may answer an identical search from its stored result;
 *                                0 (default) makes every plain search see every committed write
 * @param openapiEnabled          serve the OpenAPI document and Swagger UI under /fhir
 * @param serverAddress           fixed base URL for links in responses; empty: taken from the request
 * @param parsing                 strict (default): a request body with content R4 does not define is refused;
 *                                lenient: HAPI drops that content and stores the rest
 */
@ConfigurationProperties("bonemarrow.fhir")
public record FhirServerProperties(
		@DefaultValue("Bone Marrow Exam FHIR Server") String serverName,
		@DefaultValue("20") int defaultPageSize,
		@DefaultValue("200") int maxPageSize,
		@DefaultValue("0") long searchCacheReuseMillis,
		@DefaultValue("true") boolean openapiEnabled,
		@DefaultValue("") String serverAddress,
		@DefaultValue("strict") ParsingMode parsing) {}
