package org.bonemarrow.server.security.audit;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import org.bonemarrow.server.security.CallerIdentity;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;

/**
 * BALP records a search when it shows resources; a search that finds nothing still tells what the caller
 * looked for, so it is recorded here, in the same shape (action E, the query in {@code entity.query}).
 */
@Interceptor
public class EmptySearchAudit {

	private final AuditTrail trail;

	public EmptySearchAudit(AuditTrail trail) {
		this.trail = trail;
	}

	@Hook(Pointcut.SERVER_OUTGOING_RESPONSE)
	public boolean searched(RequestDetails request, HttpServletRequest servletRequest, IBaseResource response) {
		RestOperationTypeEnum operation = request.getRestOperationType();
		boolean search = operation == RestOperationTypeEnum.SEARCH_TYPE || operation == RestOperationTypeEnum.SEARCH_SYSTEM;
		if (search && response instanceof Bundle bundle && bundle.getEntry().isEmpty()) {
			String client = CallerIdentity.of(servletRequest).map(CallerIdentity::clientId).orElse(null);
			AuditEvent event = AuditEvents.failed(client, operation, request.getResourceName(), 200,
					servletRequest.getRemoteAddr());
			event.setOutcome(AuditEvent.AuditEventOutcome._0).setOutcomeDesc(null);
			String query = request.getCompleteUrl();
			event.getEntityFirstRep().setQuery(query.getBytes(StandardCharsets.UTF_8));
			trail.recordAuditEvent(event);
		}
		return true;
	}
}
