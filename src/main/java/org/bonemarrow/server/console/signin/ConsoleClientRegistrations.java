package org.bonemarrow.server.console.signin;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;
import org.bonemarrow.server.console.ConsoleProperties;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.registration.ClientRegistrations;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.oidc.IdTokenClaimNames;
import org.springframework.security.oauth2.core.oidc.OidcScopes;

/**
 * The console's one OAuth 2.0 client registration ({@code console}), built at the first sign-in:
 * <ul>
 *   <li>embedded: the browser is sent to this server's {@code /oauth2/authorize} (a relative URL, so it
 *       stays on the host the person typed); the code is exchanged and the ID token's keys read over
 *       loopback, on the port the server actually bound;</li>
 *   <li>external: the OpenID provider's discovery document, read at the first sign-in rather than at
 *       start-up, so the server starts while the provider is down.</li>
 * </ul>
 * Both are authorization code with PKCE; the external one adds a client secret when configured.
 */
public class ConsoleClientRegistrations implements ClientRegistrationRepository {

	public static final String REGISTRATION_ID = "console";
	/** Spring's template: the host and port the browser used, so a proxy's public URL works unchanged. */
	static final String REDIRECT_URI = "{baseUrl}/console/oauth2/code/{registrationId}";

	private final ConsoleProperties.SignIn settings;
	private final IntSupplier localPort;
	private final String localScheme;
	private final AtomicReference<ClientRegistration> registration = new AtomicReference<>();

	/**
	 * @param localPort   the port this server listens on (known once the web server started)
	 * @param localScheme http, or https when the server itself terminates TLS
	 */
	public ConsoleClientRegistrations(ConsoleProperties.SignIn settings, IntSupplier localPort, String localScheme) {
		this.settings = settings;
		this.localPort = localPort;
		this.localScheme = localScheme;
	}

	@Override
	public ClientRegistration findByRegistrationId(String registrationId) {
		if (!REGISTRATION_ID.equals(registrationId)) {
			return null;
		}
		ClientRegistration known = registration.get();
		if (known == null) {
			known = settings.external() ? external(settings) : embedded(localScheme + "://127.0.0.1:" + localPort.getAsInt());
			registration.compareAndSet(null, known);
		}
		return known;
	}

	static ClientRegistration embedded(String loopbackBase) {
		return ClientRegistration.withRegistrationId(REGISTRATION_ID)
				.clientId(org.bonemarrow.server.security.ConsoleSignIn.CLIENT_ID)
				.clientAuthenticationMethod(ClientAuthenticationMethod.NONE)
				.authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
				.redirectUri(REDIRECT_URI)
				.scope(OidcScopes.OPENID)
				.authorizationUri("/oauth2/authorize")
				.tokenUri(loopbackBase + "/oauth2/token")
				.jwkSetUri(loopbackBase + "/oauth2/jwks")
				.userNameAttributeName(IdTokenClaimNames.SUB)
				.clientName("Bone marrow exam console")
				.build();
	}

	static ClientRegistration external(ConsoleProperties.SignIn settings) {
		boolean confidential = !settings.clientSecret().isBlank();
		ClientRegistration.Builder builder = ClientRegistrations.fromIssuerLocation(settings.issuerUri())
				.registrationId(REGISTRATION_ID)
				.clientId(settings.clientId())
				.clientAuthenticationMethod(confidential ? ClientAuthenticationMethod.CLIENT_SECRET_BASIC
						: ClientAuthenticationMethod.NONE)
				.authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
				.redirectUri(REDIRECT_URI)
				.scope(OidcScopes.OPENID, OidcScopes.PROFILE)
				.userNameAttributeName(IdTokenClaimNames.SUB);
		if (confidential) {
			builder.clientSecret(settings.clientSecret());
		}
		return builder.build();
	}
}
