package org.bonemarrow.server.config;

import static org.springframework.security.web.util.matcher.AntPathRequestMatcher.antMatcher;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.bonemarrow.server.console.ConsoleProperties;
import org.bonemarrow.server.security.ConsoleSignIn;
import org.bonemarrow.server.security.EmbeddedAuthorizationServer;
import org.bonemarrow.server.security.IssuedTokens;
import org.bonemarrow.server.security.OutcomeAuthenticationEntryPoint;
import org.bonemarrow.server.security.SecurityProperties;
import org.bonemarrow.server.security.backend.BackendClients;
import org.bonemarrow.server.security.backend.ClientAssertionConverter;
import org.bonemarrow.server.security.backend.TokenEndpointErrors;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationCodeRequestAuthenticationProvider;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.util.matcher.AnyRequestMatcher;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.authorization.authentication.JwtClientAssertionAuthenticationProvider;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.config.annotation.web.configuration.OAuth2AuthorizationServerConfiguration;
import org.springframework.security.oauth2.server.authorization.config.annotation.web.configurers.OAuth2AuthorizationServerConfigurer;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.security.oauth2.server.authorization.token.JwtEncodingContext;
import org.springframework.security.oauth2.server.authorization.token.OAuth2TokenCustomizer;
import org.springframework.security.web.SecurityFilterChain;

/**
 * The embedded OAuth 2.0 authorization server (Spring Authorization Server), on by default and off as
 * soon as an external identity provider is configured. Client-credentials grant for the API's callers,
 * which are systems (EHR, laboratory, integration engine); the authorization code grant with PKCE only for
 * the console's people. Endpoints: {@code /oauth2/token},
 * {@code /oauth2/jwks}, {@code /.well-known/oauth-authorization-server}.
 */
@Configuration
@ConditionalOnExpression("${bonemarrow.security.enabled:true} and "
		+ "'${bonemarrow.security.issuer-uri:}' == '' and '${bonemarrow.security.jwk-set-uri:}' == ''")
public class EmbeddedAuthorizationServerConfig {

	@Bean
	EmbeddedAuthorizationServer embeddedAuthorizationServer(
			SecurityProperties properties,
			org.bonemarrow.server.security.ClientRoles roles,
			@Value("${bonemarrow.data-dir}") String dataDir,
			BackendClients backendClients,
			ConsoleProperties console) {
		List<RegisteredClient> further = new ArrayList<>(backendClients.registeredClients());
		if (console.enabled() && !console.signIn().external()) {
			further.add(ConsoleSignIn.registeredClient(console.signIn().redirectUris()));
		}
		return EmbeddedAuthorizationServer.open(Path.of(dataDir, "security"), properties.embedded(), roles, further);
	}

	/** SMART Backend Services clients (private_key_jwt), {@code bonemarrow.security.embedded.backend-clients}. */
	@Bean
	BackendClients backendClients(SecurityProperties properties, org.bonemarrow.server.security.ClientRoles roles) {
		return BackendClients.open(properties, roles, Clock.systemUTC());
	}

	/**
	 * Client authentication: shared secrets as Spring Authorization Server does them, and SMART Backend
	 * Services' signed JWT assertions (private_key_jwt) verified with the backend clients' registered keys,
	 * with or without a {@code client_id} parameter, refusals saying which check failed.
	 *
	 * <p>People (the console's users) use the authorization code flow with PKCE and OpenID Connect: a
	 * browser that is not signed in is sent to the sign-in form, and who signed in is kept under the
	 * authorization server's own session key ({@link ConsoleSignIn}).
	 */
	@Bean
	@Order(1)
	SecurityFilterChain authorizationServerSecurity(HttpSecurity http, BackendClients backendClients)
			throws Exception {
		OAuth2AuthorizationServerConfigurer authorizationServer = OAuth2AuthorizationServerConfigurer.authorizationServer();
		OutcomeAuthenticationEntryPoint outcomes = new OutcomeAuthenticationEntryPoint((request, status) -> {});
		http.securityMatcher(authorizationServer.getEndpointsMatcher())
				.with(authorizationServer, configurer -> configurer.clientAuthentication(clients -> clients
						.authenticationConverter(new ClientAssertionConverter())
						.authenticationProviders(providers -> providers.stream()
								.filter(JwtClientAssertionAuthenticationProvider.class::isInstance)
								.map(JwtClientAssertionAuthenticationProvider.class::cast)
								.forEach(provider -> provider.setJwtDecoderFactory(backendClients.assertionDecoders())))
						.errorResponseHandler(new TokenEndpointErrors()))
						.authorizationEndpoint(authorize -> authorize.authenticationProviders(providers -> providers.stream()
								.filter(OAuth2AuthorizationCodeRequestAuthenticationProvider.class::isInstance)
								.map(OAuth2AuthorizationCodeRequestAuthenticationProvider.class::cast)
								.forEach(provider -> provider.setAuthenticationValidator(ConsoleSignIn.redirectUriValidator()))))
						.oidc(Customizer.withDefaults()))
				.authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
				.securityContext(c -> c.securityContextRepository(ConsoleSignIn.securityContextRepository()))
				.requestCache(c -> c.requestCache(ConsoleSignIn.requestCache()))
				.exceptionHandling(e -> e
						.defaultAuthenticationEntryPointFor(new LoginUrlAuthenticationEntryPoint(ConsoleSignIn.SIGN_IN_PAGE),
								antMatcher(HttpMethod.GET, "/oauth2/authorize"))
						.defaultAuthenticationEntryPointFor(outcomes, AnyRequestMatcher.INSTANCE))
				.csrf(csrf -> csrf.ignoringRequestMatchers(authorizationServer.getEndpointsMatcher()));
		return http.build();
	}

	@Bean
	RegisteredClientRepository registeredClients(EmbeddedAuthorizationServer server) {
		return server.registeredClients();
	}

	@Bean
	JWKSource<SecurityContext> jwkSource(EmbeddedAuthorizationServer server) {
		RSAKey key = server.signingKey();
		return new ImmutableJWKSet<>(new JWKSet(List.of(key)));
	}

	/** What the token endpoint issued and /oauth2/revoke revoked (Spring Authorization Server's store). */
	@Bean
	IssuedTokens issuedTokens() {
		return new IssuedTokens(Clock.systemUTC());
	}

	/**
	 * The resource server verifies tokens with the same key in-process (no HTTP call to itself), and refuses
	 * a token revoked at /oauth2/revoke.
	 */
	@Bean
	JwtDecoder embeddedJwtDecoder(JWKSource<SecurityContext> jwkSource, IssuedTokens issued) {
		return issued.rejectingRevoked(OAuth2AuthorizationServerConfiguration.jwtDecoder(jwkSource));
	}

	@Bean
	AuthorizationServerSettings authorizationServerSettings() {
		return AuthorizationServerSettings.builder().build();
	}

	@Bean
	OAuth2TokenCustomizer<JwtEncodingContext> smartScopeClaims() {
		return context -> {
			EmbeddedAuthorizationServer.customizeToken(context);
			ConsoleSignIn.addRoles(context);
		};
	}
}
