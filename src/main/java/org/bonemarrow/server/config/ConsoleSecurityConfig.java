package org.bonemarrow.server.config;

import static org.springframework.security.web.util.matcher.AntPathRequestMatcher.antMatcher;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.bonemarrow.server.console.ConsoleProperties;
import org.bonemarrow.server.console.ConsoleRole;
import org.bonemarrow.server.console.signin.ConsoleClientRegistrations;
import org.bonemarrow.server.console.signin.ConsoleRolesFromIdToken;
import org.bonemarrow.server.security.ConsoleSignIn;
import org.bonemarrow.server.security.ConsoleUsers;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.web.authentication.HttpStatusEntryPoint;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.authentication.SavedRequestAwareAuthenticationSuccessHandler;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter;
import org.springframework.security.web.util.matcher.OrRequestMatcher;

/**
 * The console's doors: the landing page at {@code /} (public), the console at {@code /console} (signed-in
 * people, each page for its roles), and, with the embedded authorization server, its sign-in form. People
 * sign in by the OAuth 2.0 authorization code flow with PKCE and OpenID Connect, against this server's
 * authorization server (console users in the data folder) or a hospital's OpenID provider
 * ({@code bonemarrow.console.sign-in}). The session cookie is the console's only; the FHIR API stays
 * bearer-token only.
 */
@Configuration
@ConditionalOnExpression("${bonemarrow.security.enabled:true}")
public class ConsoleSecurityConfig {

	private static final Logger log = LoggerFactory.getLogger(ConsoleSecurityConfig.class);

	/**
	 * Scripts only from this server (htmx and Chart.js come from WebJars in the jar): a value shown on a
	 * page can never run as script.
	 */
	static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
			+ "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

	@Bean
	ConsoleClientRegistrations consoleClientRegistrations(ConsoleProperties properties, ApplicationContext context,
			@Value("${server.ssl.enabled:false}") boolean tls) {
		return new ConsoleClientRegistrations(properties.signIn(),
				() -> ((WebServerApplicationContext) context).getWebServer().getPort(), tls ? "https" : "http");
	}

	@Bean
	@Order(1)
	SecurityFilterChain consoleSecurity(HttpSecurity http, ConsoleProperties properties,
			ConsoleClientRegistrations registrations,
			@Value("${bonemarrow.security.issuer-uri:}") String issuer,
			@Value("${bonemarrow.security.jwk-set-uri:}") String jwks) throws Exception {
		boolean embeddedServer = issuer.isBlank() && jwks.isBlank();
		// People can sign in only where somebody checks their password: the embedded authorization server,
		// or the hospital's OpenID provider. Without either the console is off (404), the API is not.
		boolean available = properties.enabled() && (properties.signIn().external() || embeddedServer);
		if (properties.enabled() && !available) {
			log.warn("The console is off: bonemarrow.console.sign-in.provider=embedded needs the embedded authorization "
					+ "server, which is off with bonemarrow.security.issuer-uri/jwk-set-uri. Set "
					+ "bonemarrow.console.sign-in.provider=external with its issuer-uri and client-id to sign people in "
					+ "at the hospital's OpenID provider.");
		}
		http.securityMatcher(new OrRequestMatcher(antMatcher("/"), antMatcher("/console"), antMatcher("/console/**"),
						antMatcher("/console-assets/**"), antMatcher("/webjars/**")))
				.authorizeHttpRequests(requests -> {
					requests.requestMatchers(antMatcher(HttpMethod.GET, "/"), antMatcher(HttpMethod.GET, "/console-assets/**"),
							antMatcher(HttpMethod.GET, "/webjars/**")).permitAll();
					if (!available) {
						requests.anyRequest().denyAll();
						return;
					}
					requests.requestMatchers(antMatcher("/console/samples"))
							.hasRole(ConsoleRole.LAB_MANAGER.name())
							.requestMatchers(antMatcher("/console/worklist/**"), antMatcher("/console/turnaround/**"))
							.hasAnyRole(ConsoleRole.LAB_MANAGER.name(), ConsoleRole.INTEGRATION_ENGINEER.name())
							.requestMatchers(antMatcher("/console/deliveries/**"), antMatcher("/console/v2/**"))
							.hasRole(ConsoleRole.INTEGRATION_ENGINEER.name())
							.requestMatchers(antMatcher("/console/audit/**"))
							.hasRole(ConsoleRole.AUDITOR.name())
							.anyRequest().authenticated();
				})
				.headers(headers -> headers
						.contentSecurityPolicy(csp -> csp.policyDirectives(CONTENT_SECURITY_POLICY))
						.referrerPolicy(r -> r.policy(ReferrerPolicyHeaderWriter.ReferrerPolicy.SAME_ORIGIN)));
		if (!available) {
			http.exceptionHandling(e -> e.authenticationEntryPoint(new HttpStatusEntryPoint(HttpStatus.NOT_FOUND))
					.accessDeniedHandler((request, response, denied) -> response.sendError(HttpStatus.NOT_FOUND.value())));
			return http.build();
		}
		http.oauth2Login(login -> login
						.clientRegistrationRepository(registrations)
						.authorizationEndpoint(a -> a.baseUri("/console/oauth2/authorization"))
						.redirectionEndpoint(r -> r.baseUri("/console/oauth2/code/*"))
						.userInfoEndpoint(u -> u.oidcUserService(new ConsoleRolesFromIdToken(properties.signIn().rolesClaim())))
						.defaultSuccessUrl("/console")
						.failureUrl("/?sign-in-failed"))
				.logout(logout -> logout.logoutUrl("/console/sign-out").logoutSuccessUrl("/?signed-out"))
				.exceptionHandling(e -> e
						.authenticationEntryPoint(new LoginUrlAuthenticationEntryPoint(
								"/console/oauth2/authorization/" + ConsoleClientRegistrations.REGISTRATION_ID))
						.accessDeniedPage("/console/forbidden"));
		return http.build();
	}

	/**
	 * With the embedded authorization server: its console users and its sign-in form. The form keeps who
	 * signed in under the authorization server's own session key, and sends the browser back to the
	 * authorization request it came from.
	 */
	@Configuration
	@ConditionalOnExpression("${bonemarrow.security.enabled:true} and ${bonemarrow.console.enabled:true} and "
			+ "'${bonemarrow.console.sign-in.provider:embedded}' == 'embedded' and "
			+ "'${bonemarrow.security.issuer-uri:}' == '' and '${bonemarrow.security.jwk-set-uri:}' == ''")
	static class EmbeddedSignIn {

		@Bean
		ConsoleUsers consoleUsers(ConsoleProperties properties, @Value("${bonemarrow.data-dir}") String dataDir) {
			Set<String> roles = Arrays.stream(ConsoleRole.values()).map(ConsoleRole::id).collect(Collectors.toSet());
			return ConsoleUsers.open(Path.of(dataDir, "security"), properties.users(), roles);
		}

		@Bean
		@Order(1)
		SecurityFilterChain consoleSignInForm(HttpSecurity http, ConsoleUsers users) throws Exception {
			SavedRequestAwareAuthenticationSuccessHandler backToAuthorize = new SavedRequestAwareAuthenticationSuccessHandler();
			backToAuthorize.setRequestCache(ConsoleSignIn.requestCache());
			backToAuthorize.setDefaultTargetUrl("/console");
			http.securityMatcher(antMatcher(ConsoleSignIn.SIGN_IN_PAGE))
					.authorizeHttpRequests(requests -> requests.anyRequest().permitAll())
					.userDetailsService(users.userDetailsService())
					.securityContext(c -> c.securityContextRepository(ConsoleSignIn.securityContextRepository()))
					.requestCache(c -> c.requestCache(ConsoleSignIn.requestCache()))
					.formLogin(form -> form.loginPage(ConsoleSignIn.SIGN_IN_PAGE)
							.loginProcessingUrl(ConsoleSignIn.SIGN_IN_PAGE)
							.failureUrl(ConsoleSignIn.SIGN_IN_PAGE + "?error")
							.successHandler(backToAuthorize))
					.headers(headers -> headers.contentSecurityPolicy(csp -> csp.policyDirectives(CONTENT_SECURITY_POLICY)));
			return http.build();
		}
	}
}
