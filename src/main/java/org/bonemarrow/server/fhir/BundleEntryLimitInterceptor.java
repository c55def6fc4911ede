package org.bonemarrow.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.PayloadTooLargeException;
import org.bonemarrow.server.security.SecurityProperties;
import org.hl7.fhir.r4.model.Bundle;
import org.springframework.stereotype.Component;

/**
 * A transaction or batch may carry at most {@code bonemarrow.security.limits.max-bundle-entries}
 * entries: one request must not hold the database for minutes. Refused with 413 before any entry is
 * processed, so nothing is stored.
 */
@Component
@Interceptor
public class BundleEntryLimitInterceptor implements FhirServerCustomizer {

	private final int maxEntries;

	public BundleEntryLimitInterceptor(SecurityProperties properties) {
		this.maxEntries = properties.limits().maxBundleEntries();
	}

	@Override
	public void customize(RestfulServer server) {
		server.registerInterceptor(this);
	}

	@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
	public void checkEntries(RequestDetails request) {
		if (request.getResource() instanceof Bundle bundle && bundle.getEntry().size() > maxEntries) {
			throw new PayloadTooLargeException("Bundle has " + bundle.getEntry().size() + " entries; the limit is "
					+ maxEntries + " (bonemarrow.security.limits.max-bundle-entries). Split it into several bundles.");
		}
	}
}
