package org.bonemarrow.server.config;

import org.apache.catalina.core.StandardHost;
import org.bonemarrow.server.security.OutcomeErrorReportValve;
import org.bonemarrow.server.security.RequestLimitsFilter;
import org.bonemarrow.server.security.SecurityProperties;
import org.bonemarrow.server.security.audit.AuditTrail;
import org.bonemarrow.server.security.audit.FailedInteractionAudit;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The hostile-input guard on the two endpoints that take bodies, right after authentication, and
 * OperationOutcomes instead of Tomcat's HTML for what Tomcat refuses before any filter runs.
 */
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

	/**
	 * The host's error report valve is the one Tomcat adds at host start-up, named here. Spring Boot's own
	 * (plain, HTML) valve may sit in the pipeline too; ours is added after it, hence runs inside it and
	 * reports first, and Tomcat reports an error only once.
	 */
	@Bean
	WebServerFactoryCustomizer<TomcatServletWebServerFactory> outcomeErrorReports() {
		return factory -> factory.addContextCustomizers(context -> {
			if (context.getParent() instanceof StandardHost host) {
				host.setErrorReportValveClass(OutcomeErrorReportValve.class.getName());
			}
		});
	}
}
