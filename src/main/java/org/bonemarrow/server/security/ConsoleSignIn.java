package org.bonemarrow.server.security;

import java.util.Set;
import java.util.function.Consumer;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.oidc.OidcScopes;
import org.springframework.security.oauth2.core.oidc.endpoint.OidcParameterNames;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationCodeRequestAuthenticationContext;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationCodeRequestAuthenticationToken;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationCodeRequestAuthenticationValidator;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.settings.ClientSettings;
import org.springframework.security.oauth2.server.authorization.settings.TokenSettings;
import org.springframework.security.oauth2.server.authorization.token.JwtEncodingContext;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.security.web.savedrequest.HttpSessionRequestCache;
import org.springframework.security.web.savedrequest.RequestCache;
import org.springframework.web.util.UriComponents;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * The console as a client of the embedded authorization server: a public client (no secret in a browser
 * session's server side to leak) using the authorization code grant with PKCE (RFC 7636, required) and
 * OpenID Connect, so the console signs people in exactly as it would against a hospital's own OpenID
 * provider.
 *
 * <p>The authorization server keeps who signed in under its own session key, and the console keeps its
 * own under Spring's default: the two are separate parties that happen to share a cookie, and signing in
 * at one does not sign anybody in at the other.
 */
public final class ConsoleSignIn {

	public static final String CLIENT_ID = "console";
	/** Where the authorization server sends the browser back: the console's OAuth 2.0 redirection endpoint. */
	public static final String REDIRECT_PATH = "/console/oauth2/code/" + CLIENT_ID;
	/** The authorization server's own sign-in form. */
	public static final String SIGN_IN_PAGE = "/sign-in";

	private static final String SECURITY_CONTEXT_KEY = "BONEMARROW_AUTHORIZATION_SERVER_SECURITY_CONTEXT";
	private static final String SAVED_REQUEST_KEY = "BONEMARROW_AUTHORIZATION_SERVER_SAVED_REQUEST";

	private ConsoleSignIn() {}

	/**
	 * @param redirectUris where the console is reached from outside (behind a proxy: its public URL);
	 *                     loopback hosts are accepted on any port besides (see {@link #redirectUriValidator})
	 */
	public static RegisteredClient registeredClient(Set<String> redirectUris) {
		RegisteredClient.Builder client = RegisteredClient.withId("console-sign-in")
				.clientId(CLIENT_ID)
				.clientAuthenticationMethod(ClientAuthenticationMethod.NONE)
				.authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
				.scope(OidcScopes.OPENID)
				.clientSettings(ClientSettings.builder().requireProofKey(true).requireAuthorizationConsent(false).build())
				.tokenSettings(TokenSettings.builder()
						.authorizationCodeTimeToLive(java.time.Duration.ofMinutes(1))
						.accessTokenTimeToLive(java.time.Duration.ofMinutes(5))
						.build());
		client.redirectUri("http://127.0.0.1:8080" + REDIRECT_PATH);
		redirectUris.forEach(client::redirectUri);
		return client.build();
	}

	/**
	 * Spring Authorization Server's checks, plus: the console's redirect URI may name {@code localhost} on
	 * any port, as RFC 8252 section 7.3 allows loopback IP literals (a browser on the server's own machine
	 * opens http://localhost:8080, and tests use a free port). Every other host must match a registered
	 * URI exactly.
	 */
	public static Consumer<OAuth2AuthorizationCodeRequestAuthenticationContext> redirectUriValidator() {
		Consumer<OAuth2AuthorizationCodeRequestAuthenticationContext> standard =
				OAuth2AuthorizationCodeRequestAuthenticationValidator.DEFAULT_REDIRECT_URI_VALIDATOR;
		return OAuth2AuthorizationCodeRequestAuthenticationValidator.DEFAULT_SCOPE_VALIDATOR.andThen(context -> {
			OAuth2AuthorizationCodeRequestAuthenticationToken request = context.getAuthentication();
			if (CLIENT_ID.equals(context.getRegisteredClient().getClientId()) && isLocalhostConsole(request.getRedirectUri())) {
				return;
			}
			standard.accept(context);
		});
	}

	static boolean isLocalhostConsole(String redirectUri) {
		if (redirectUri == null) {
			return false;
		}
		try {
			UriComponents uri = UriComponentsBuilder.fromUriString(redirectUri).build();
			return "localhost".equalsIgnoreCase(uri.getHost())
					&& ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
					&& REDIRECT_PATH.equals(uri.getPath()) && uri.getQuery() == null && uri.getFragment() == null
					&& uri.getUserInfo() == null;
		} catch (IllegalArgumentException e) {
			return false;
		}
	}

	/** The console's ID token lists the person's console roles (claim {@code roles}). */
	public static void addRoles(JwtEncodingContext context) {
		if (OidcParameterNames.ID_TOKEN.equals(context.getTokenType().getValue())
				&& CLIENT_ID.equals(context.getRegisteredClient().getClientId())) {
			Authentication person = context.getPrincipal();
			context.getClaims().claim(ConsoleUsers.ROLES_CLAIM, ConsoleUsers.rolesOf(person));
		}
	}

	/** The authorization server's session key for who signed in at its form (not the console's). */
	public static SecurityContextRepository securityContextRepository() {
		HttpSessionSecurityContextRepository repository = new HttpSessionSecurityContextRepository();
		repository.setSpringSecurityContextKey(SECURITY_CONTEXT_KEY);
		return repository;
	}

	/** The authorization request a browser is sent back to after signing in (not the console page it wanted). */
	public static RequestCache requestCache() {
		HttpSessionRequestCache cache = new HttpSessionRequestCache();
		cache.setSessionAttrName(SAVED_REQUEST_KEY);
		return cache;
	}
}
