package org.bonemarrow.server.security.audit;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import jakarta.servlet.http.HttpServletRequest;
import org.bonemarrow.server.security.CallerIdentity;

/**
 * Audits what BALP does not: every FHIR request that ends in an error (403 outside scope, 4xx invalid
 * input, 409 workflow refusals, 5xx), with the client, the interaction, the resource and the status.
 */
@Interceptor
public class FailedInteractionAudit {

	private final AuditTrail trail;

	public FailedInteractionAudit(AuditTrail trail) {
		this.trail = trail;
	}

	@Hook(Pointcut.SERVER_HANDLE_EXCEPTION)
	public boolean failed(RequestDetails request, HttpServletRequest servletRequest, BaseServerResponseException error) {
		String client = CallerIdentity.of(servletRequest).map(CallerIdentity::clientId).orElse(null);
		String what = request.getId() != null && request.getId().hasIdPart()
				? request.getId().toUnqualifiedVersionless().getValue()
				: request.getResourceName();
		trail.recordAuditEvent(AuditEvents.failed(client, request.getRestOperationType(), what,
				error.getStatusCode(), servletRequest.getRemoteAddr()));
		return true;
	}

	/** A request refused before HAPI saw it (no or invalid token, size or content-type limits). */
	public static void refused(AuditTrail trail, HttpServletRequest request, int status) {
		trail.recordAuditEvent(AuditEvents.failed(null, null, resourceOf(request.getRequestURI()), status,
				request.getRemoteAddr()));
	}

	/** {@code /fhir/Patient/12?x} -> {@code Patient/12}; {@code /fhir/Patient} -> {@code Patient}. */
	static String resourceOf(String uri) {
		int fhir = uri.indexOf("/fhir/");
		if (fhir < 0) {
			return null;
		}
		String[] parts = uri.substring(fhir + "/fhir/".length()).split("[/?]");
		if (parts.length == 0 || parts[0].isEmpty() || !Character.isUpperCase(parts[0].charAt(0))) {
			return null;
		}
		return parts.length > 1 && !parts[1].isEmpty() && !parts[1].startsWith("$") && !parts[1].startsWith("_")
				? parts[0] + "/" + parts[1]
				: parts[0];
	}
}
