package org.bonemarrow.server.config;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.bonemarrow.server.fhir.FhirServerCustomizer;
import org.bonemarrow.server.security.ClientRoles;
import org.bonemarrow.server.security.SecurityProperties;
import org.bonemarrow.server.security.SmartConfiguration;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.UriType;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Tells clients how to authenticate, in the two places SMART on FHIR defines: the discovery document at
 * {@code /fhir/.well-known/smart-configuration} and {@code CapabilityStatement.rest.security} in
 * {@code /fhir/metadata}. Both stay public.
 */
@Configuration
@ConditionalOnProperty(name = "bonemarrow.security.enabled", havingValue = "true", matchIfMissing = true)
public class SmartDiscoveryConfig {

	static final String PATH = "/fhir/.well-known/smart-configuration";

	/** Exact-path servlet: it wins over the FHIR servlet's /fhir/* for this one URL. */
	@Bean
	ServletRegistrationBean<HttpServlet> smartConfigurationServlet(SecurityProperties properties, ClientRoles roles,
			ObjectMapper json) {
		HttpServlet servlet = new HttpServlet() {
			@Override
			protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
				response.setContentType("application/json");
				response.setHeader("Cache-Control", "max-age=3600");
				json.writeValue(response.getOutputStream(), SmartConfiguration.document(
						tokenEndpoint(properties, request), properties.issuerUri(), roles,
						SmartConfiguration.authMethods(properties)));
			}
		};
		ServletRegistrationBean<HttpServlet> registration = new ServletRegistrationBean<>(servlet, PATH);
		registration.setName("smartConfiguration");
		return registration;
	}

	@Bean
	FhirServerCustomizer capabilityStatementSecurity(SecurityProperties properties) {
		return server -> server.registerInterceptor(new CapabilitySecurity(properties));
	}

	static String tokenEndpoint(SecurityProperties properties, HttpServletRequest request) {
		if (!properties.tokenEndpoint().isBlank()) {
			return properties.tokenEndpoint();
		}
		String base = request.getScheme() + "://" + request.getServerName() + ":" + request.getServerPort()
				+ request.getContextPath();
		return base + "/oauth2/token";
	}

	/** Adds the SMART service and the OAuth token URL to the generated capability statement. */
	@Interceptor
	static class CapabilitySecurity {
		private final SecurityProperties properties;

		CapabilitySecurity(SecurityProperties properties) {
			this.properties = properties;
		}

		@Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
		public void addSecurity(IBaseConformance statement, RequestDetails request) {
			if (!(statement instanceof CapabilityStatement capabilities) || capabilities.getRest().isEmpty()) {
				return;
			}
			CapabilityStatement.CapabilityStatementRestSecurityComponent security =
					capabilities.getRestFirstRep().getSecurity();
			security.setCors(false);
			security.getService().clear();
			// http://terminology.hl7.org/CodeSystem/restful-security-service (R4 binding of security.service)
			security.addService(new CodeableConcept().addCoding(new org.hl7.fhir.r4.model.Coding(
					"http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR", "SMART-on-FHIR")));
			security.setDescription(SmartConfiguration.securityDescription(SmartConfiguration.authMethods(properties)));
			String token = properties.tokenEndpoint().isBlank()
					? request.getFhirServerBase().replaceAll("/fhir/?$", "") + "/oauth2/token"
					: properties.tokenEndpoint();
			// SMART App Launch 1.0 oauth-uris extension: still what most clients read from metadata.
			security.getExtension().removeIf(e -> e.getUrl().endsWith("oauth-uris"));
			Extension uris = security.addExtension()
					.setUrl("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
			uris.addExtension(new Extension("token", new UriType(token)));
		}
	}
}
