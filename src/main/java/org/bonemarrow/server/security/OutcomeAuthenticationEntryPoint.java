package org.bonemarrow.server.security;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.function.BiConsumer;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;

/**
 * 401 and 403 from the security filters as FHIR OperationOutcomes, with the {@code WWW-Authenticate}
 * challenge of RFC 6750 so OAuth clients know to fetch a (new) token.
 */
public class OutcomeAuthenticationEntryPoint implements AuthenticationEntryPoint, AccessDeniedHandler {

	/** Told of each refusal (the audit trail), or a no-op. */
	private final BiConsumer<HttpServletRequest, Integer> refusals;

	public OutcomeAuthenticationEntryPoint(BiConsumer<HttpServletRequest, Integer> refusals) {
		this.refusals = refusals;
	}

	@Override
	public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException failure)
			throws IOException {
		boolean badToken = failure instanceof InvalidBearerTokenException
				|| request.getHeader("Authorization") != null;
		refusals.accept(request, HttpServletResponse.SC_UNAUTHORIZED);
		response.setHeader("WWW-Authenticate", badToken
				? "Bearer error=\"invalid_token\", error_description=\"The access token is invalid or expired\""
				: "Bearer");
		OutcomeResponses.write(response, HttpServletResponse.SC_UNAUTHORIZED, IssueType.LOGIN, badToken
				? "The bearer token is invalid or expired. Get a new one from the token endpoint "
						+ "(see /fhir/.well-known/smart-configuration)."
				: "Authentication required: send an OAuth 2.0 bearer token in the Authorization header "
						+ "(see /fhir/.well-known/smart-configuration).");
	}

	@Override
	public void handle(HttpServletRequest request, HttpServletResponse response, AccessDeniedException denied)
			throws IOException {
		refusals.accept(request, HttpServletResponse.SC_FORBIDDEN);
		OutcomeResponses.write(response, HttpServletResponse.SC_FORBIDDEN, IssueType.FORBIDDEN,
				"Access denied: the token's scopes do not allow this request.");
	}
}
