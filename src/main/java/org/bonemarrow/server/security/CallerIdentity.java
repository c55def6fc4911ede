package org.bonemarrow.server.security;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Optional;

/**
 * Who is calling: the OAuth client id and the SMART scopes granted to it. Set on the servlet request by
 * the authentication filter once a bearer token is verified, so that code outside Spring Security (the
 * FHIR authorization rules, the audit trail, the HL7 v2 HTTP endpoint) reads one value.
 */
public record CallerIdentity(String clientId, SmartScopes scopes) {

	/** Request attribute under which the verified identity is stored. */
	public static final String REQUEST_ATTRIBUTE = CallerIdentity.class.getName();

	public static Optional<CallerIdentity> of(HttpServletRequest request) {
		return request == null
				? Optional.empty()
				: Optional.ofNullable((CallerIdentity) request.getAttribute(REQUEST_ATTRIBUTE));
	}
}
