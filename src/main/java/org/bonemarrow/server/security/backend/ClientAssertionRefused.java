package org.bonemarrow.server.security.backend;

import org.springframework.security.oauth2.jwt.BadJwtException;

/**
 * A client assertion refused, with a description fit for the token endpoint's error response: it says which
 * check failed and holds nothing taken from the assertion. Spring Authorization Server's
 * JwtClientAssertionAuthenticationProvider turns it into {@code invalid_client} and keeps it as the cause,
 * where {@link TokenEndpointErrors} finds it.
 */
public final class ClientAssertionRefused extends BadJwtException {

	public ClientAssertionRefused(String description) {
		super(description);
	}
}
