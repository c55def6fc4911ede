package org.bonemarrow.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import org.springframework.stereotype.Component;

/**
 * FHIR R4 http.html#concurrency: an update, patch or delete whose If-Match names a version that is no
 * longer current fails with 412 Precondition Failed. HAPI's JPA DAO reports that case as a version conflict
 * (409, HAPI-0989 for update, HAPI-0974 for patch, HAPI-0961 for delete); this turns exactly those into 412
 * and leaves every other 409 (referential conflicts, workflow refusals) alone.
 */
@Component
@Interceptor
public class IfMatchPreconditionInterceptor implements FhirServerCustomizer {

	private static final String[] STALE_VERSION_CODES = {"HAPI-0989", "HAPI-0974", "HAPI-0961"};

	@Override
	public void customize(RestfulServer server) {
		server.registerInterceptor(this);
	}

	@Hook(Pointcut.SERVER_PRE_PROCESS_OUTGOING_EXCEPTION)
	public BaseServerResponseException staleIfMatchIs412(RequestDetails request, Throwable exception) {
		if (exception instanceof ResourceVersionConflictException conflict
				&& request.getHeader(Constants.HEADER_IF_MATCH) != null
				&& isStaleVersion(conflict.getMessage())) {
			PreconditionFailedException failed = new PreconditionFailedException(conflict.getMessage());
			failed.setOperationOutcome(conflict.getOperationOutcome());
			return failed;
		}
		return null;
	}

	static boolean isStaleVersion(String message) {
		if (message == null) {
			return false;
		}
		for (String code : STALE_VERSION_CODES) {
			if (message.contains(code)) {
				return true;
			}
		}
		return false;
	}
}
