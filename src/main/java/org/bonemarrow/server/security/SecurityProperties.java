package org.bonemarrow.server.security;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code bonemarrow.security.*}: who may call the server and with what.
 *
 * @param enabled       bearer tokens and SMART scopes enforced; false only through
 *                      {@code bonemarrow.stock-mode} for the benchmark's stock comparison
 * @param roles         role name to space-separated SMART system scopes
 * @param issuerUri     external identity provider (OpenID issuer); set it or {@code jwkSetUri} to turn the
 *                      embedded authorization server off
 * @param jwkSetUri     external identity provider's JWK set, when it has no discovery document
 * @param tokenEndpoint token endpoint advertised in the SMART configuration when an external provider is
 *                      used; empty with the embedded one ({@code /oauth2/token} on this server)
 * @param tokenEndpointAuthMethods how clients authenticate at an external provider's token endpoint, as
 *                      advertised in the SMART configuration; empty: the shared-secret methods. Not read with
 *                      the embedded authorization server, which advertises what it does
 * @param embedded      the embedded authorization server
 * @param limits        limits on what a request may carry
 */
@ConfigurationProperties("bonemarrow.security")
public record SecurityProperties(
		@DefaultValue("true") boolean enabled,
		@DefaultValue Map<String, String> roles,
		@DefaultValue("") String issuerUri,
		@DefaultValue("") String jwkSetUri,
		@DefaultValue("") String tokenEndpoint,
		@DefaultValue List<String> tokenEndpointAuthMethods,
		@DefaultValue Embedded embedded,
		@DefaultValue Limits limits) {

	/** The values {@code token-endpoint-auth-methods} may hold (OAuth registry names, RFC 7591). */
	public static final List<String> TOKEN_ENDPOINT_AUTH_METHODS =
			List.of("client_secret_basic", "client_secret_post", "private_key_jwt");

	public SecurityProperties {
		roles = roles == null ? Map.of() : Map.copyOf(roles);
		tokenEndpointAuthMethods = tokenEndpointAuthMethods == null ? List.of() : List.copyOf(tokenEndpointAuthMethods);
		for (String method : tokenEndpointAuthMethods) {
			if (!TOKEN_ENDPOINT_AUTH_METHODS.contains(method)) {
				throw new IllegalArgumentException("bonemarrow.security.token-endpoint-auth-methods: '" + method
						+ "' is not one of " + TOKEN_ENDPOINT_AUTH_METHODS);
			}
		}
	}

	/** True when tokens come from an identity provider outside this server. */
	public boolean externalProvider() {
		return !issuerUri.isBlank() || !jwkSetUri.isBlank();
	}

	/**
	 * @param clients        roles that get a client of the same name on first start (random secret, kept in
	 *                       {@code <data-dir>/security/clients.json})
	 * @param tokenTtl       lifetime of an access token
	 * @param backendClients clients that authenticate with a signed JWT instead of a secret (SMART Backend
	 *                       Services, {@code private_key_jwt}), by client id
	 */
	public record Embedded(
			@DefaultValue({"ehr", "lab", "department", "integration", "auditor", "loader"}) List<String> clients,
			@DefaultValue("10m") Duration tokenTtl,
			@DefaultValue Map<String, BackendClient> backendClients) {

		public Embedded {
			backendClients = backendClients == null ? Map.of() : Map.copyOf(backendClients);
		}
	}

	/**
	 * A client registered with its public keys (SMART App Launch 2.x, client-confidential-asymmetric). Exactly
	 * one key source; checked at start-up by {@code security.backend.BackendClients}.
	 *
	 * @param role     role name from {@code bonemarrow.security.roles}: the scopes its tokens may carry
	 * @param jwksUrl  https URL of the client's JWK set, read when an assertion comes (cached; read again for
	 *                 a key id not seen yet, so the client can rotate keys)
	 * @param jwks     the client's JWK set itself, as JSON: public keys only
	 * @param jwksFile a file holding that JSON
	 */
	public record BackendClient(String role, String jwksUrl, String jwks, String jwksFile) {}

	/**
	 * @param maxRequestSize   largest request body accepted on /fhir and /hl7v2, also after inflating a
	 *                         gzip-compressed one
	 * @param maxBundleEntries most entries in a transaction or batch Bundle
	 * @param maxDepth         deepest nesting of objects and arrays in a JSON body, or of elements in an XML
	 *                         body; default 64
	 * @param maxJsonDepth     the former name of {@code maxDepth}, still read when {@code max-depth} is not set
	 * @param maxUrlLength     longest URL (path and query string, in characters) accepted on /fhir; keep it
	 *                         below {@code server.max-http-request-header-size}, which Tomcat applies first
	 * @param clients          other request-size and bundle-entry limits for particular callers, by OAuth
	 *                         client id (the embedded authorization server names each client after its role,
	 *                         so {@code clients.loader} is the loader role's client); a limit not set there is
	 *                         the one above
	 */
	public record Limits(
			@DefaultValue("5MB") DataSize maxRequestSize,
			@DefaultValue("1000") int maxBundleEntries,
			Integer maxDepth,
			Integer maxJsonDepth,
			@DefaultValue("8192") int maxUrlLength,
			@DefaultValue Map<String, ClientLimits> clients) {

		private static final String PREFIX = "bonemarrow.security.limits.";

		public Limits {
			if (maxDepth == null) {
				maxDepth = maxJsonDepth != null ? maxJsonDepth : 64;
			}
			clients = clients == null ? Map.of() : Map.copyOf(clients);
		}

		/** The request-size limit for this caller (null: not authenticated) and the setting it comes from. */
		public Applied<DataSize> requestSizeFor(String clientId) {
			ClientLimits own = clientId == null ? null : clients.get(clientId);
			return own != null && own.maxRequestSize() != null
					? new Applied<>(own.maxRequestSize(), PREFIX + "clients." + clientId + ".max-request-size")
					: new Applied<>(maxRequestSize, PREFIX + "max-request-size");
		}

		/** The bundle-entry limit for this caller (null: not authenticated) and the setting it comes from. */
		public Applied<Integer> bundleEntriesFor(String clientId) {
			ClientLimits own = clientId == null ? null : clients.get(clientId);
			return own != null && own.maxBundleEntries() != null
					? new Applied<>(own.maxBundleEntries(), PREFIX + "clients." + clientId + ".max-bundle-entries")
					: new Applied<>(maxBundleEntries, PREFIX + "max-bundle-entries");
		}
	}

	/**
	 * One caller's own limits; either may be left out to keep the general one.
	 *
	 * @param maxRequestSize   largest request body, also after inflating a gzip-compressed one
	 * @param maxBundleEntries most entries in a transaction or batch Bundle
	 */
	public record ClientLimits(DataSize maxRequestSize, Integer maxBundleEntries) {

		public ClientLimits {
			if (maxRequestSize != null && maxRequestSize.toBytes() < 1) {
				throw new IllegalArgumentException("bonemarrow.security.limits.clients.*.max-request-size must be positive");
			}
			if (maxBundleEntries != null && maxBundleEntries < 1) {
				throw new IllegalArgumentException("bonemarrow.security.limits.clients.*.max-bundle-entries must be at least 1");
			}
		}
	}

	/** A limit as it applies to one caller, with the setting to name when refusing. */
	public record Applied<T>(T value, String setting) {}
}
