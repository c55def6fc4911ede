package org.bonemarrow.server.security.backend;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.ServletServerHttpResponse;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;
import org.springframework.security.oauth2.core.http.converter.OAuth2ErrorHttpMessageConverter;
import org.springframework.security.web.authentication.AuthenticationFailureHandler;

/**
 * The token endpoint's answer to a failed client authentication (RFC 6749 section 5.2): 401
 * {@code invalid_client}, 400 for anything else, as Spring Authorization Server answers. Spring sends the
 * error code alone; for a client assertion this adds an {@code error_description} saying which check
 * failed (SMART Backend Services clients have nothing else to go on), built by this server, never from the
 * assertion. A failed secret keeps the bare code: whether the client id or the secret was wrong stays
 * untold.
 */
public final class TokenEndpointErrors implements AuthenticationFailureHandler {

	private final OAuth2ErrorHttpMessageConverter json = new OAuth2ErrorHttpMessageConverter();

	@Override
	public void onAuthenticationFailure(HttpServletRequest request, HttpServletResponse response,
			AuthenticationException exception) throws IOException {
		String code = exception instanceof OAuth2AuthenticationException oauth
				? oauth.getError().getErrorCode() : OAuth2ErrorCodes.INVALID_CLIENT;
		ServletServerHttpResponse http = new ServletServerHttpResponse(response);
		http.setStatusCode(OAuth2ErrorCodes.INVALID_CLIENT.equals(code) ? HttpStatus.UNAUTHORIZED : HttpStatus.BAD_REQUEST);
		json.write(new OAuth2Error(code, description(request, exception, code), null), null, http);
	}

	static String description(HttpServletRequest request, Throwable exception, String code) {
		for (Throwable t = exception; t != null; t = t.getCause()) {
			if (t instanceof ClientAssertionRefused refused) {
				return refused.getMessage();
			}
		}
		if (request.getParameter(OAuth2ParameterNames.CLIENT_ASSERTION) == null) {
			return null;
		}
		return OAuth2ErrorCodes.INVALID_CLIENT.equals(code)
				? "the client is unknown or not registered for private_key_jwt"
				: "client_assertion_type must be " + ClientAssertionConverter.JWT_BEARER + ", sent once with one client_assertion";
	}
}
