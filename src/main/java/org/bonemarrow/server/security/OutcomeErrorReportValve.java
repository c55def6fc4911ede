package org.bonemarrow.server.security;

import ca.uhn.fhir.context.FhirContext;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;

/**
 * Tomcat's last word on an error that no servlet answered, as a FHIR OperationOutcome instead of Tomcat's
 * HTML page. It matters for what Tomcat refuses before any filter or servlet runs: a request line or
 * headers over {@code server.max-http-request-header-size} (a very long URL), which Tomcat answers 400
 * "Request header is too large"; that one becomes 431 Request Header Fields Too Large, naming the setting.
 * Errors a servlet or Spring's error page already answered have content and are left alone.
 */
public class OutcomeErrorReportValve extends ErrorReportValve {

	private static final FhirContext CTX = FhirContext.forR4Cached();

	@Override
	protected void report(Request request, Response response, Throwable throwable) {
		int status = response.getStatus();
		if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
			return;
		}
		AtomicBoolean ioAllowed = new AtomicBoolean(false);
		response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
		if (!ioAllowed.get()) {
			return;
		}
		String message;
		IssueType type;
		if (status == 400 && headerTooLarge(throwable)) {
			status = 431;
			type = IssueType.TOOCOSTLY;
			message = "The request line or headers are too large (a URL this long is never needed): the server "
					+ "reads at most server.max-http-request-header-size. Send long searches as POST <type>/_search "
					+ "with a form body.";
		} else {
			type = status == 404 ? IssueType.NOTFOUND : status >= 500 ? IssueType.EXCEPTION : IssueType.INVALID;
			message = "HTTP " + status + ": the request could not be processed.";
		}
		try {
			response.setStatus(status);
			response.setContentType("application/fhir+json");
			response.setCharacterEncoding(StandardCharsets.UTF_8.name());
			PrintWriter writer = response.getReporter();
			if (writer != null) {
				writer.write(CTX.newJsonParser().encodeResourceToString(OutcomeResponses.outcome(type, message)));
				response.finishResponse();
			}
		} catch (IOException | IllegalStateException e) {
			// The client is gone or the response is closed: nothing left to tell it.
		}
	}

	/** Tomcat's refusal of a request line or header section over its size limit. */
	static boolean headerTooLarge(Throwable throwable) {
		for (Throwable t = throwable; t != null; t = t.getCause()) {
			if (t instanceof IllegalArgumentException && t.getMessage() != null
					&& t.getMessage().contains("header is too large")) {
				return true;
			}
		}
		return false;
	}
}
