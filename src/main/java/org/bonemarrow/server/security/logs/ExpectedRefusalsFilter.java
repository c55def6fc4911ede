package org.bonemarrow.server.security.logs;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * HAPI's interceptor service logs every exception an interceptor throws at ERROR with its whole stack
 * trace, and then HAPI's exception handler logs the same request failure again. For a refusal (a 4xx:
 * 403 outside the scopes, 422 from validation or a workflow rule) that is ~140 lines per refused request,
 * each quoting the refusal's text. The exception handler's one line (and the audit trail) is the record of
 * a refusal; this filter drops the interceptor service's copy of it. Server errors (5xx) are still logged
 * in full. Registered in logback-spring.xml.
 */
public class ExpectedRefusalsFilter extends TurboFilter {

	static final String INTERCEPTOR_SERVICE = "ca.uhn.fhir.interceptor.executor.BaseInterceptorService";

	@Override
	public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
		if (logger == null || !INTERCEPTOR_SERVICE.equals(logger.getName())) {
			return FilterReply.NEUTRAL;
		}
		Throwable thrown = t;
		if (thrown == null && params != null && params.length > 0 && params[params.length - 1] instanceof Throwable last) {
			thrown = last;
		}
		return isRefusal(thrown) ? FilterReply.DENY : FilterReply.NEUTRAL;
	}

	static boolean isRefusal(Throwable thrown) {
		return thrown instanceof BaseServerResponseException response && response.getStatusCode() < 500;
	}
}
