package org.bonemarrow.server.security.audit;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bonemarrow.server.security.CallerIdentity;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;

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
				error.getStatusCode(), servletRequest.getRemoteAddr(), carriedTypes(request.getResource())));
		return true;
	}

	/**
	 * The resource types a refused transaction or batch carried (entries' resources, or the type in a DELETE
	 * entry's URL), in order, once each; none for anything else or a body HAPI could not parse.
	 */
	static List<String> carriedTypes(IBaseResource resource) {
		if (!(resource instanceof Bundle bundle)
				|| (bundle.getType() != Bundle.BundleType.TRANSACTION && bundle.getType() != Bundle.BundleType.BATCH)) {
			return List.of();
		}
		Set<String> types = new LinkedHashSet<>();
		for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
			// Not hasResource(): that is false for an empty resource, which is still of its type.
			if (entry.getResource() != null) {
				types.add(entry.getResource().fhirType());
			} else if (entry.getRequest().hasUrl()) {
				String url = entry.getRequest().getUrl();
				String type = url.split("[/?]")[0];
				if (!type.isEmpty() && Character.isUpperCase(type.charAt(0))) {
					types.add(type);
				}
			}
		}
		return List.copyOf(types);
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
