package org.bonemarrow.server.security;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SMART App Launch discovery document ({@code /fhir/.well-known/smart-configuration}) for backend
 * services: where to get a token, how to authenticate, which scopes exist. Pure, so it is tested without
 * a server.
 */
public final class SmartConfiguration {

	private SmartConfiguration() {}

	/**
	 * @param tokenEndpoint absolute URL of the token endpoint
	 * @param issuer        the authorization server's issuer, or null when unknown
	 * @param roles         the configured roles, whose scopes are listed as supported
	 */
	public static Map<String, Object> document(String tokenEndpoint, String issuer, ClientRoles roles) {
		Map<String, Object> doc = new LinkedHashMap<>();
		if (issuer != null && !issuer.isBlank()) {
			doc.put("issuer", issuer);
		}
		doc.put("token_endpoint", tokenEndpoint);
		doc.put("grant_types_supported", List.of("client_credentials"));
		doc.put("token_endpoint_auth_methods_supported", List.of("client_secret_basic", "client_secret_post"));
		doc.put("scopes_supported", roles.all().values().stream()
				.flatMap(scopes -> List.of(scopes.split(" ")).stream()).distinct().sorted().toList());
		doc.put("capabilities", List.of("client-confidential-symmetric", "permission-v2"));
		return doc;
	}
}
