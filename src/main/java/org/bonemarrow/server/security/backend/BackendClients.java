package org.bonemarrow.server.security.backend;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import org.bonemarrow.server.security.ClientRoles;
import org.bonemarrow.server.security.SecurityProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.jose.jws.SignatureAlgorithm;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.settings.ClientSettings;
import org.springframework.security.oauth2.server.authorization.settings.TokenSettings;

/**
 * The backend clients of {@code bonemarrow.security.embedded.backend-clients} (SMART Backend Services,
 * private_key_jwt): their registrations with the embedded authorization server and the verification of their
 * assertions. Checked at start-up so that a mistake stops the server with a message naming the setting
 * instead of failing every token request later; no network then (a JWKS URL is read when an assertion comes,
 * so the server starts while a client's key server is down).
 */
public final class BackendClients {

	private static final Logger log = LoggerFactory.getLogger(BackendClients.class);

	static final String PREFIX = "bonemarrow.security.embedded.backend-clients.";
	private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
	private static final int MIN_RSA_BITS = 2048;

	/**
	 * One checked client.
	 *
	 * @param keys    the public keys when given inline or in a file, else null
	 * @param jwksUrl the JWK set's URL when given so, else null
	 */
	public record Client(String clientId, String role, String scopes, JWKSet keys, URI jwksUrl) {

		/** For the log: where the keys are, never the keys. */
		public String keySource() {
			return jwksUrl != null ? "JWKS URL " + jwksUrl : keys.getKeys().size() + " registered key(s)";
		}
	}

	private final List<RegisteredClient> registeredClients;
	private final ClientAssertionDecoders assertions;

	private BackendClients(List<RegisteredClient> registeredClients, ClientAssertionDecoders assertions) {
		this.registeredClients = registeredClients;
		this.assertions = assertions;
	}

	/** Checks the configured clients (refusing to start on a mistake) and prepares their verification. */
	public static BackendClients open(SecurityProperties properties, ClientRoles roles, Clock clock) {
		SecurityProperties.Embedded settings = properties.embedded();
		List<Client> clients = check(settings.backendClients(), roles, settings.clients());
		if (!clients.isEmpty()) {
			log.info("Backend clients (private_key_jwt, RS384 or ES384): {}", clients.stream()
					.map(c -> c.clientId() + " (role " + c.role() + ", " + c.keySource() + ")").toList());
		}
		return new BackendClients(clients.stream().map(c -> registeredClient(c, settings.tokenTtl())).toList(),
				new ClientAssertionDecoders(clients,
						ClientAssertionDecoders.tokenEndpointsOfThisRequest(properties.tokenEndpoint()),
						new JtiReplayWindow(clock), clock));
	}

	/** For the embedded authorization server's client repository. */
	public List<RegisteredClient> registeredClients() {
		return registeredClients;
	}

	/** For the token endpoint's JwtClientAssertionAuthenticationProvider. */
	public ClientAssertionDecoders assertionDecoders() {
		return assertions;
	}

	/**
	 * No secret, a signed JWT instead; the same grant, scopes and token lifetime as a shared-secret client.
	 * The signing algorithm setting only tells Spring Authorization Server that this is private_key_jwt;
	 * {@link ClientAssertionDecoders} accepts RS384 and ES384 alike, by the assertion's header and the key.
	 */
	static RegisteredClient registeredClient(Client client, Duration tokenTtl) {
		ClientSettings.Builder clientSettings = ClientSettings.builder()
				.tokenEndpointAuthenticationSigningAlgorithm(SignatureAlgorithm.RS384);
		if (client.jwksUrl() != null) {
			clientSettings.jwkSetUrl(client.jwksUrl().toString());
		}
		return RegisteredClient.withId(UUID.nameUUIDFromBytes(("backend:" + client.clientId()).getBytes()).toString())
				.clientId(client.clientId())
				.clientAuthenticationMethod(ClientAuthenticationMethod.PRIVATE_KEY_JWT)
				.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
				.scopes(s -> s.addAll(Arrays.asList(client.scopes().split(" "))))
				.clientSettings(clientSettings.build())
				.tokenSettings(TokenSettings.builder().accessTokenTimeToLive(tokenTtl).build())
				.build();
	}

	/**
	 * @param configured      {@code backend-clients} as bound
	 * @param roles           the configured roles
	 * @param secretClientIds the shared-secret clients' ids, which a backend client may not reuse
	 * @throws IllegalStateException naming the setting at fault
	 */
	public static List<Client> check(Map<String, SecurityProperties.BackendClient> configured, ClientRoles roles,
			Collection<String> secretClientIds) {
		List<Client> clients = new ArrayList<>();
		new TreeMap<>(configured).forEach((clientId, client) -> clients.add(check(clientId, client, roles, secretClientIds)));
		return List.copyOf(clients);
	}

	private static Client check(String clientId, SecurityProperties.BackendClient client, ClientRoles roles,
			Collection<String> secretClientIds) {
		String at = PREFIX + clientId;
		if (!CLIENT_ID.matcher(clientId).matches()) {
			throw new IllegalStateException(at + ": a client id is 1 to 64 letters, digits, '.', '_' or '-'");
		}
		if (secretClientIds.contains(clientId)) {
			throw new IllegalStateException(at + ": '" + clientId
					+ "' is already a shared-secret client (bonemarrow.security.embedded.clients); choose another id");
		}
		if (client == null || blank(client.role())) {
			throw new IllegalStateException(at + ".role is required: one of " + roles.all().keySet());
		}
		String scopes = roles.scopesOf(client.role()).orElseThrow(() -> new IllegalStateException(at + ".role: '"
				+ client.role() + "' is not a configured role (bonemarrow.security.roles: " + roles.all().keySet() + ")"));
		int sources = (blank(client.jwksUrl()) ? 0 : 1) + (blank(client.jwks()) ? 0 : 1) + (blank(client.jwksFile()) ? 0 : 1);
		if (sources != 1) {
			throw new IllegalStateException(at + ": give exactly one of jwks-url, jwks and jwks-file (found " + sources + ")");
		}
		if (!blank(client.jwksUrl())) {
			return new Client(clientId, client.role(), scopes, null, jwksUrl(at + ".jwks-url", client.jwksUrl()));
		}
		if (!blank(client.jwks())) {
			return new Client(clientId, client.role(), scopes, publicKeys(at + ".jwks", client.jwks()), null);
		}
		Path file = Path.of(client.jwksFile());
		String json;
		try {
			json = Files.readString(file);
		} catch (IOException e) {
			throw new IllegalStateException(at + ".jwks-file: cannot read " + file.toAbsolutePath(), e);
		}
		return new Client(clientId, client.role(), scopes, publicKeys(at + ".jwks-file (" + file + ")", json), null);
	}

	/**
	 * SMART Backend Services: the JWK set is served over TLS. Plain http only on this machine (loopback), for
	 * a key server next to the client in development and tests.
	 */
	static URI jwksUrl(String at, String value) {
		URI uri;
		try {
			uri = new URI(value.trim());
		} catch (URISyntaxException e) {
			throw new IllegalStateException(at + ": not a URL");
		}
		String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
		if (uri.getHost() == null || !(scheme.equals("https") || scheme.equals("http") && loopback(uri.getHost()))) {
			throw new IllegalStateException(at + ": must be an https URL (http only for localhost)");
		}
		return uri;
	}

	private static boolean loopback(String host) {
		return host.equalsIgnoreCase("localhost") || host.startsWith("127.") || host.equals("[::1]");
	}

	/**
	 * Parses a JWK set and refuses what could never verify an RS384 or ES384 signature, and any private or
	 * symmetric key: the server must hold only what is public (a symmetric key would be a shared secret).
	 */
	static JWKSet publicKeys(String at, String json) {
		JWKSet set;
		try {
			set = JWKSet.parse(json);
		} catch (ParseException e) {
			throw new IllegalStateException(at + ": not a JWK set ({\"keys\":[...]}): " + e.getMessage());
		}
		if (set.getKeys().isEmpty()) {
			throw new IllegalStateException(at + ": the JWK set has no keys");
		}
		for (JWK key : set.getKeys()) {
			String which = key.getKeyID() == null ? "a key without kid" : "key '" + key.getKeyID() + "'";
			if (key.isPrivate()) {
				throw new IllegalStateException(at + ": " + which + " holds private key material ("
						+ (key instanceof RSAKey || key instanceof ECKey ? "\"d\"" : key.getKeyType().getValue() + " key")
						+ "); register the public key only");
			}
			if (key instanceof RSAKey rsa) {
				if (rsa.size() < MIN_RSA_BITS) {
					throw new IllegalStateException(at + ": " + which + " is an RSA key of " + rsa.size()
							+ " bits; at least " + MIN_RSA_BITS);
				}
			} else if (key instanceof ECKey ec) {
				if (!Curve.P_384.equals(ec.getCurve())) {
					throw new IllegalStateException(at + ": " + which + " is on curve " + ec.getCurve()
							+ "; ES384 needs P-384");
				}
			} else {
				throw new IllegalStateException(at + ": " + which + " is of type " + key.getKeyType()
						+ "; RSA (RS384) or EC P-384 (ES384) only");
			}
		}
		return set;
	}

	private static boolean blank(String value) {
		return value == null || value.isBlank();
	}
}
