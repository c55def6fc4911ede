package org.bonemarrow.server.fhir;

import ca.uhn.fhir.rest.server.RestfulServer;

/**
 * Registers one concern (an interceptor, an operation provider) with the FHIR endpoint. Implement it as a
 * Spring bean next to the code it registers; {@code config.FhirRestServerConfig} applies every one at start-up,
 * in {@link org.springframework.core.annotation.Order} order.
 */
@FunctionalInterface
public interface FhirServerCustomizer {
	void customize(RestfulServer server);
}
