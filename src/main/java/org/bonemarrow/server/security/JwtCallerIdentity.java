package org.bonemarrow.server.security;

import java.util.Collection;
import java.util.List;
import org.springframework.security.oauth2.jwt.Jwt;

/**
 * Reads the caller out of a verified access token. The client id is {@code client_id} (RFC 9068), else
 * {@code azp}, else {@code sub} (Spring Authorization Server puts the client id there for the
 * client-credentials grant). Scopes come from {@code scope}, as a list or a space-separated string, or
 * from {@code scp}, which some identity providers use instead.
 */
public final class JwtCallerIdentity {

	private JwtCallerIdentity() {}

	public static CallerIdentity of(Jwt jwt) {
		String clientId = firstNonBlank(jwt.getClaimAsString("client_id"), jwt.getClaimAsString("azp"), jwt.getSubject());
		return new CallerIdentity(clientId == null ? "unknown" : clientId, SmartScopes.parse(scopes(jwt)));
	}

	static List<String> scopes(Jwt jwt) {
		for (String claim : List.of("scope", "scp")) {
			Object value = jwt.getClaims().get(claim);
			if (value instanceof Collection<?> list) {
				return list.stream().map(String::valueOf).toList();
			}
			if (value instanceof String text && !text.isBlank()) {
				return List.of(text.trim().split("\\s+"));
			}
		}
		return List.of();
	}

	private static String firstNonBlank(String... values) {
		for (String v : values) {
			if (v != null && !v.isBlank()) {
				return v;
			}
		}
		return null;
	}
}
