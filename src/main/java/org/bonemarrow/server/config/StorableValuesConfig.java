package org.bonemarrow.server.config;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import org.bonemarrow.server.fhir.StorableValuesInterceptor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Values the database cannot store, or that would exhaust memory on the way, are a 400, not a failed
 * commit or an OutOfMemoryError (on in every mode: a crash fix, not a feature).
 */
@Configuration
public class StorableValuesConfig {

	@Bean
	StorableValuesInterceptor storableValuesInterceptor(FhirContext fhirContext, IInterceptorService jpaInterceptors) {
		StorableValuesInterceptor interceptor = new StorableValuesInterceptor(fhirContext);
		jpaInterceptors.registerInterceptor(interceptor);
		return interceptor;
	}
}
