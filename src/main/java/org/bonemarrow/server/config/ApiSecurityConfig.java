package org.bonemarrow.server.config;

import static org.springframework.security.web.util.matcher.AntPathRequestMatcher.antMatcher;

import org.bonemarrow.server.security.CallerIdentityFilter;
import org.bonemarrow.server.security.OutcomeAuthenticationEntryPoint;
import org.bonemarrow.server.security.SecurityProperties;
import org.bonemarrow.server.security.audit.AuditTrail;
import org.bonemarrow.server.security.audit.FailedInteractionAudit;
import org.springframework.beans.factory.ObjectProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtDecoders;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.jwt.SupplierJwtDecoder;
import org.springframework.security.oauth2.server.resource.web.authentication.BearerTokenAuthenticationFilter;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Every HTTP request but the public ones needs a valid bearer token (JWT). Public: the capability
 * statement, the SMART configuration, the OpenAPI description (the same facts as the capability
 * statement), and health probes. What a token allows inside /fhir is decided by the SMART scope rules
 * ({@code fhir.SmartScopeAuthorizationInterceptor}); this chain only answers "who is it".
 */
@Configuration
public class ApiSecurityConfig {

	private static final Logger log = LoggerFactory.getLogger(ApiSecurityConfig.class);

	@Bean
	@Order(2)
	@ConditionalOnProperty(name = "bonemarrow.security.enabled", havingValue = "true", matchIfMissing = true)
	SecurityFilterChain apiSecurity(HttpSecurity http, JwtDecoder jwtDecoder, ObjectProvider<AuditTrail> audit)
			throws Exception {
		OutcomeAuthenticationEntryPoint outcomes = new OutcomeAuthenticationEntryPoint((request, status) ->
				audit.ifAvailable(trail -> FailedInteractionAudit.refused(trail, request, status)));
		http.authorizeHttpRequests(requests -> requests
						.requestMatchers(antMatcher(HttpMethod.GET, "/fhir/metadata"),
								antMatcher(HttpMethod.GET, "/fhir/.well-known/smart-configuration"),
								antMatcher(HttpMethod.GET, "/fhir/api-docs"),
								antMatcher(HttpMethod.GET, "/fhir/swagger-ui/**"),
								antMatcher(HttpMethod.GET, "/actuator/health"),
								antMatcher(HttpMethod.GET, "/actuator/health/**"),
								antMatcher(HttpMethod.GET, "/actuator/info"),
								antMatcher("/error"))
						.permitAll()
						.anyRequest().authenticated())
				.oauth2ResourceServer(resourceServer -> resourceServer
						.jwt(jwt -> jwt.decoder(jwtDecoder))
						.authenticationEntryPoint(outcomes)
						.accessDeniedHandler(outcomes))
				.exceptionHandling(e -> e.authenticationEntryPoint(outcomes).accessDeniedHandler(outcomes))
				.addFilterAfter(new CallerIdentityFilter(), BearerTokenAuthenticationFilter.class)
				// Bearer tokens only: no session, no cookie, hence no CSRF exposure.
				.sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
				.csrf(csrf -> csrf.disable())
				.requestCache(cache -> cache.disable())
				.formLogin(form -> form.disable())
				.httpBasic(basic -> basic.disable());
		return http.build();
	}

	/** Tokens from an identity provider outside this server (production): JWK set, issuer, or both. */
	@Bean
	@ConditionalOnExpression("${bonemarrow.security.enabled:true} and "
			+ "('${bonemarrow.security.issuer-uri:}' != '' or '${bonemarrow.security.jwk-set-uri:}' != '')")
	JwtDecoder externalProviderJwtDecoder(SecurityProperties properties) {
		String issuer = properties.issuerUri();
		if (properties.jwkSetUri().isBlank()) {
			// Discovery is fetched on the first token, not at start-up, so the server starts while the
			// identity provider is briefly unreachable.
			return new SupplierJwtDecoder(() -> JwtDecoders.fromIssuerLocation(issuer));
		}
		NimbusJwtDecoder decoder = NimbusJwtDecoder.withJwkSetUri(properties.jwkSetUri()).build();
		if (!issuer.isBlank()) {
			decoder.setJwtValidator(new DelegatingOAuth2TokenValidator<>(JwtValidators.createDefaultWithIssuer(issuer)));
		}
		log.info("Bearer tokens are verified against an external identity provider");
		return decoder;
	}

	/** Benchmark stock mode only: no authentication, as on a stock HAPI server. */
	@Bean
	@Order(2)
	@ConditionalOnProperty(name = "bonemarrow.security.enabled", havingValue = "false")
	SecurityFilterChain openForStockComparison(HttpSecurity http,
			@org.springframework.beans.factory.annotation.Value("${bonemarrow.stock-mode:false}") boolean stockMode)
			throws Exception {
		if (!stockMode) {
			// Secure by default, not by configuration: an open server is only the benchmark's stand-in.
			throw new IllegalStateException("bonemarrow.security.enabled=false is only allowed together with "
					+ "bonemarrow.stock-mode=true (the benchmark's stock comparison)");
		}
		log.warn("bonemarrow.security.enabled=false: every request is accepted without authentication. "
				+ "This is for the benchmark's stock comparison only.");
		// The console shows patient data to signed-in people only; with no sign-in there is no console.
		return http.authorizeHttpRequests(r -> r.requestMatchers(antMatcher("/console/**")).denyAll()
				.anyRequest().permitAll()).csrf(c -> c.disable()).build();
	}
}
