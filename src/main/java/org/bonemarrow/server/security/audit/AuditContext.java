package org.bonemarrow.server.security.audit;

import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import ca.uhn.fhir.storage.interceptor.balp.IBalpAuditContextServices;
import org.bonemarrow.server.security.CallerIdentity;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Reference;

/**
 * Tells HAPI's BALP interceptor who the caller is: the OAuth client from the verified token. The callers
 * are systems, so the "user" agent is the client as well.
 */
public class AuditContext implements IBalpAuditContextServices {

	@Override
	public Reference getAgentClientWho(RequestDetails request) {
		return AuditEvents.client(clientId(request));
	}

	@Override
	public Reference getAgentUserWho(RequestDetails request) {
		return AuditEvents.client(clientId(request));
	}

	/**
	 * BALP would store the absolute, versioned URL; HAPI refuses absolute references to its own base as
	 * external ones. Relative and versioned: {@code Patient/12/_history/3}, searchable with {@code entity=}.
	 */
	@Override
	public String massageResourceIdForStorage(RequestDetails request, IBaseResource resource, IIdType id) {
		return id.toUnqualified().getValue();
	}

	static String clientId(RequestDetails request) {
		if (request instanceof ServletRequestDetails servlet) {
			return CallerIdentity.of(servlet.getServletRequest()).map(CallerIdentity::clientId).orElse("unauthenticated");
		}
		return "server";
	}
}
