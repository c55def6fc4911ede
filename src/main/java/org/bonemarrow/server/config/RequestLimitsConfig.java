package org.bonemarrow.server.config;

import org.bonemarrow.server.security.RequestLimitsFilter;
import org.bonemarrow.server.security.SecurityProperties;
import org.bonemarrow.server.security.audit.AuditTrail;
import org.bonemarrow.server.security.audit.FailedInteractionAudit;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The hostile-input guard on the two endpoints that take bodies, right after authentication. */
@Configuration
public class RequestLimitsConfig {

	@Bean
	FilterRegistrationBean<RequestLimitsFilter> requestLimitsFilter(SecurityProperties properties,
			ObjectProvider<AuditTrail> audit) {
		FilterRegistrationBean<RequestLimitsFilter> registration = new FilterRegistrationBean<>(new RequestLimitsFilter(
				properties.limits(),
				(request, status) -> audit.ifAvailable(trail -> FailedInteractionAudit.refused(trail, request, status))));
		registration.addUrlPatterns("/fhir/*", "/hl7v2", "/hl7v2/*");
		// Spring Security's chain runs at -100: unauthenticated callers are turned away before their body is read.
		registration.setOrder(0);
		return registration;
	}
}
