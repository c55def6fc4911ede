package org.bonemarrow.server.config;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import org.bonemarrow.server.fhir.StorableTextInterceptor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Text the database cannot store is a 400, not a failed commit (on in every mode: it is a crash fix). */
@Configuration
public class StorableTextConfig {

	@Bean
	StorableTextInterceptor storableTextInterceptor(FhirContext fhirContext, IInterceptorService jpaInterceptors) {
		StorableTextInterceptor interceptor = new StorableTextInterceptor(fhirContext);
		jpaInterceptors.registerInterceptor(interceptor);
		return interceptor;
	}
}
