package org.bonemarrow.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.model.ResourceVersionConflictResolutionStrategy;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.springframework.stereotype.Component;

/**
 * Conditional creates that lose a race answer like conditional creates. When an interface engine sends the
 * same order several times at once (parallel retries), each request's If-None-Exist search finds nothing,
 * each tries to insert, and HAPI's unique index of conditional-create URLs (HFJ_RES_SEARCH_URL) lets exactly
 * one commit; the others fail with a constraint violation that HAPI reports as 409 version conflict. FHIR R4
 * http.html#ccreate promises "the existing one" instead, so those requests are run once more (HAPI's
 * STORAGE_VERSION_CONFLICT retry, the same as its X-Retry-On-Version-Conflict header): the search now finds the
 * winner and the caller gets 200 with its Location, like a caller that came a moment later. The losing
 * attempt was rolled back whole (its Procedure, Task and outbox rows with it), so nothing is duplicated.
 *
 * <p>Only requests that carry a condition are retried: a conditional create or update, or a transaction or
 * batch with such an entry. A conflict that is not a race (a stale If-Match) fails again the same way and
 * keeps its answer.
 */
@Component
@Interceptor
public class ConditionalCreateRaceRetry implements FhirServerCustomizer {

	/** Enough for a burst of parallel senders: each retry can only lose to a commit that already happened. */
	static final int MAX_RETRIES = 4;

	@Override
	public void customize(RestfulServer server) {
		server.registerInterceptor(this);
	}

	@Hook(Pointcut.STORAGE_VERSION_CONFLICT)
	public ResourceVersionConflictResolutionStrategy onConflict(RequestDetails request) {
		ResourceVersionConflictResolutionStrategy strategy = new ResourceVersionConflictResolutionStrategy();
		if (request != null && isConditional(request)) {
			// The attempt that failed is rolled back; warnings it recorded would be reported twice.
			ValidationWarnings.discard(request);
			strategy.setRetry(true);
			strategy.setMaxRetries(MAX_RETRIES);
		}
		return strategy;
	}

	static boolean isConditional(RequestDetails request) {
		RestOperationTypeEnum operation = request.getRestOperationType();
		if (operation == RestOperationTypeEnum.CREATE) {
			String ifNoneExist = request.getHeader(Constants.HEADER_IF_NONE_EXIST);
			return ifNoneExist != null && !ifNoneExist.isBlank();
		}
		if (operation == RestOperationTypeEnum.UPDATE) {
			return request.getCompleteUrl() != null && request.getConditionalUrl(RestOperationTypeEnum.UPDATE) != null;
		}
		if (operation == RestOperationTypeEnum.TRANSACTION) {
			IBaseResource body = request.getResource();
			return body instanceof Bundle bundle && bundle.getEntry().stream().anyMatch(ConditionalCreateRaceRetry::isConditional);
		}
		return false;
	}

	static boolean isConditional(Bundle.BundleEntryComponent entry) {
		Bundle.BundleEntryRequestComponent request = entry.getRequest();
		return request.hasIfNoneExist()
				|| (request.getMethod() == Bundle.HTTPVerb.PUT && request.hasUrl() && request.getUrl().contains("?"));
	}
}
