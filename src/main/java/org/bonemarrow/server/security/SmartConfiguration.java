package org.bonemarrow.server.security;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SMART App Launch discovery document ({@code /fhir/.well-known/smart-configuration}) for backend
 * services: where to get a token, how to authenticate, which scopes exist. Pure, so it is tested without
 * a server.
 */
public final class SmartConfiguration {

	/** What the embedded authorization server does: shared secrets, and signed JWTs (backend clients). */
	static final List<String> EMBEDDED_AUTH_METHODS = List.of("client_secret_basic", "client_secret_post", "private_key_jwt");
	/** An external provider's methods when {@code token-endpoint-auth-methods} is not set: what it did so far. */
	static final List<String> EXTERNAL_DEFAULT_AUTH_METHODS = List.of("client_secret_basic", "client_secret_post");
	/** SMART App Launch 2.x, client-confidential-asymmetric: servers support both. */
	static final List<String> ASSERTION_SIGNING_ALGORITHMS = List.of("RS384", "ES384");

	private SmartConfiguration() {}

	/**
	 * How clients authenticate at the token endpoint: what the embedded authorization server does, or with an
	 * external identity provider, what {@code bonemarrow.security.token-endpoint-auth-methods} says it does
	 * (this server cannot know it).
	 */
	public static List<String> authMethods(SecurityProperties properties) {
		if (!properties.externalProvider()) {
			return EMBEDDED_AUTH_METHODS;
		}
		return properties.tokenEndpointAuthMethods().isEmpty()
				? EXTERNAL_DEFAULT_AUTH_METHODS : properties.tokenEndpointAuthMethods();
	}

	/**
	 * @param tokenEndpoint absolute URL of the token endpoint
	 * @param issuer        the authorization server's issuer, or null when unknown
	 * @param roles         the configured roles, whose scopes are listed as supported
	 * @param authMethods   the token endpoint's client authentication methods ({@link #authMethods})
	 */
	public static Map<String, Object> document(String tokenEndpoint, String issuer, ClientRoles roles,
			List<String> authMethods) {
		Map<String, Object> doc = new LinkedHashMap<>();
		if (issuer != null && !issuer.isBlank()) {
			doc.put("issuer", issuer);
		}
		doc.put("token_endpoint", tokenEndpoint);
		doc.put("grant_types_supported", List.of("client_credentials"));
		doc.put("token_endpoint_auth_methods_supported", authMethods);
		if (authMethods.contains("private_key_jwt")) {
			doc.put("token_endpoint_auth_signing_alg_values_supported", ASSERTION_SIGNING_ALGORITHMS);
		}
		doc.put("scopes_supported", roles.all().values().stream()
				.flatMap(scopes -> List.of(scopes.split(" ")).stream()).distinct().sorted().toList());
		doc.put("capabilities", capabilities(authMethods));
		return doc;
	}

	/** SMART App Launch 2.x capabilities: one per kind of confidential client, and v2 scopes. */
	static List<String> capabilities(List<String> authMethods) {
		List<String> capabilities = new ArrayList<>();
		if (authMethods.stream().anyMatch(m -> m.startsWith("client_secret_"))) {
			capabilities.add("client-confidential-symmetric");
		}
		if (authMethods.contains("private_key_jwt")) {
			capabilities.add("client-confidential-asymmetric");
		}
		capabilities.add("permission-v2");
		return capabilities;
	}

	/** The same, in words, for {@code CapabilityStatement.rest.security.description}. */
	public static String securityDescription(List<String> authMethods) {
		List<String> ways = new ArrayList<>();
		List<String> secrets = authMethods.stream().filter(m -> m.startsWith("client_secret_")).toList();
		if (!secrets.isEmpty()) {
			ways.add("a shared secret (" + String.join(", ", secrets) + ")");
		}
		if (authMethods.contains("private_key_jwt")) {
			ways.add("a signed JWT assertion (private_key_jwt, " + String.join(" or ", ASSERTION_SIGNING_ALGORITHMS)
					+ "; SMART Backend Services)");
		}
		return "OAuth 2.0 client-credentials bearer tokens with SMART v2 system scopes; clients authenticate at "
				+ "the token endpoint with " + String.join(" or ", ways)
				+ "; discovery at .well-known/smart-configuration.";
	}
}
