package org.bonemarrow.server.security;

import ca.uhn.fhir.context.FhirContext;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueSeverity;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;

/**
 * Writes a FHIR OperationOutcome as the whole response, for requests refused before HAPI sees them
 * (authentication, size and content-type limits), so every refusal looks the same to a FHIR client.
 */
public final class OutcomeResponses {

	private static final FhirContext CTX = FhirContext.forR4Cached();

	private OutcomeResponses() {}

	public static OperationOutcome outcome(IssueType type, String diagnostics) {
		OperationOutcome outcome = new OperationOutcome();
		outcome.addIssue().setSeverity(IssueSeverity.ERROR).setCode(type).setDiagnostics(diagnostics);
		return outcome;
	}

	public static void write(HttpServletResponse response, int status, IssueType type, String diagnostics)
			throws IOException {
		if (response.isCommitted()) {
			return;
		}
		response.resetBuffer();
		response.setStatus(status);
		response.setContentType("application/fhir+json");
		response.setCharacterEncoding(StandardCharsets.UTF_8.name());
		response.getWriter().write(CTX.newJsonParser().encodeResourceToString(outcome(type, diagnostics)));
		response.flushBuffer();
	}
}
