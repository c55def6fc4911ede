package org.bonemarrow.server.security.backend;

import com.nimbusds.jwt.JWTParser;
import jakarta.servlet.http.HttpServletRequest;
import java.text.ParseException;
import java.util.Map;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2ClientAuthenticationToken;
import org.springframework.security.web.authentication.AuthenticationConverter;

/**
 * A token request authenticated by a client assertion without a {@code client_id} parameter, as SMART
 * Backend Services sends it (its token request has {@code scope}, {@code grant_type},
 * {@code client_assertion_type} and {@code client_assertion} only; RFC 7523 section 3: the JWT's
 * {@code iss} names the client). Spring Authorization Server's own converter requires {@code client_id}, so
 * this one, placed before it, names the client by the assertion's {@code iss}. The signature and every claim
 * are then checked against that client's registration ({@link ClientAssertionDecoders}), {@code iss}
 * included. Any other request (with {@code client_id}, or without an assertion) is left to Spring's
 * converters.
 */
public final class ClientAssertionConverter implements AuthenticationConverter {

	static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
	private static final ClientAuthenticationMethod JWT_BEARER_METHOD = new ClientAuthenticationMethod(JWT_BEARER);

	@Override
	public Authentication convert(HttpServletRequest request) {
		if (!"POST".equals(request.getMethod()) || request.getParameter(OAuth2ParameterNames.CLIENT_ID) != null
				|| !JWT_BEARER.equals(request.getParameter(OAuth2ParameterNames.CLIENT_ASSERTION_TYPE))
				|| one(request, OAuth2ParameterNames.CLIENT_ASSERTION) == null
				|| one(request, OAuth2ParameterNames.CLIENT_ASSERTION_TYPE) == null
				|| inQuery(request)) {
			return null;
		}
		String assertion = one(request, OAuth2ParameterNames.CLIENT_ASSERTION);
		String issuer;
		try {
			issuer = JWTParser.parse(assertion).getJWTClaimsSet().getIssuer();
		} catch (ParseException e) {
			throw refused("client_assertion is not a JWT");
		}
		if (issuer == null || issuer.isBlank()) {
			throw refused("iss must be the client_id");
		}
		return new OAuth2ClientAuthenticationToken(issuer, JWT_BEARER_METHOD, assertion, Map.of());
	}

	private static String one(HttpServletRequest request, String name) {
		String[] values = request.getParameterValues(name);
		return values != null && values.length == 1 ? values[0] : null;
	}

	/** Credentials belong in the form body, never in the URL (which proxies and access logs keep). */
	private static boolean inQuery(HttpServletRequest request) {
		String query = request.getQueryString();
		return query != null && query.contains(OAuth2ParameterNames.CLIENT_ASSERTION);
	}

	private static OAuth2AuthenticationException refused(String description) {
		OAuth2Error error = new OAuth2Error(OAuth2ErrorCodes.INVALID_CLIENT, description, null);
		return new OAuth2AuthenticationException(error, description, new ClientAssertionRefused(description));
	}
}
