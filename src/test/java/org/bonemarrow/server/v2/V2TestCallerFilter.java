package org.bonemarrow.server.v2;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import org.bonemarrow.server.security.CallerIdentity;
import org.bonemarrow.server.security.SmartScopes;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * TEST ONLY, until the OAuth security filter is merged: stands in for it by putting a {@link CallerIdentity}
 * on the request from the header {@code X-Test-Role} (a role of {@code bonemarrow.security.roles}), so the
 * HTTP transport of the v2 gateway can be tested with each role. Requests without the header get no
 * identity (and {@code POST /hl7v2} answers 401). Delete at the merge; {@link V2Http#post} then sends a
 * bearer token instead.
 */
@Component
public class V2TestCallerFilter implements Filter {

	public static final String HEADER = "X-Test-Role";

	private final Environment environment;

	public V2TestCallerFilter(Environment environment) {
		this.environment = environment;
	}

	@Override
	public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
			throws IOException, ServletException {
		if (request instanceof HttpServletRequest http && http.getHeader(HEADER) != null) {
			String role = http.getHeader(HEADER);
			SmartScopes scopes = SmartScopes.parse(environment.getProperty("bonemarrow.security.roles." + role));
			request.setAttribute(CallerIdentity.REQUEST_ATTRIBUTE, new CallerIdentity("test-" + role, scopes));
		}
		chain.doFilter(request, response);
	}
}
