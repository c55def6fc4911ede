package org.bonemarrow.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.PayloadTooLargeException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import org.bonemarrow.server.security.CallerIdentity;
import org.bonemarrow.server.security.SecurityProperties;
import org.hl7.fhir.r4.model.Bundle;
import org.springframework.stereotype.Component;

/**
 * A transaction or batch may carry at most {@code bonemarrow.security.limits.max-bundle-entries}
 * entries: one request must not hold the database for minutes. A client given its own limit
 * ({@code bonemarrow.security.limits.clients.<client-id>.max-bundle-entries}, the loader role that posts
 * whole Synthea or migrated records) gets that one instead. Refused with 413 before any entry is
 * processed, so nothing is stored; the message names the setting that applied to the caller.
 */
@Component
@Interceptor
public class BundleEntryLimitInterceptor implements FhirServerCustomizer {

	private final SecurityProperties.Limits limits;

	public BundleEntryLimitInterceptor(SecurityProperties properties) {
		this.limits = properties.limits();
	}

	@Override
	public void customize(RestfulServer server) {
		server.registerInterceptor(this);
	}

	@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
	public void checkEntries(RequestDetails request) {
		if (!(request.getResource() instanceof Bundle bundle)) {
			return;
		}
		String clientId = request instanceof ServletRequestDetails servlet
				? CallerIdentity.of(servlet.getServletRequest()).map(CallerIdentity::clientId).orElse(null)
				: null;
		SecurityProperties.Applied<Integer> max = limits.bundleEntriesFor(clientId);
		if (bundle.getEntry().size() > max.value()) {
			throw new PayloadTooLargeException("Bundle has " + bundle.getEntry().size() + " entries; the limit is "
					+ max.value() + " (" + max.setting() + "). Split it into several bundles"
					+ (max.setting().contains(".clients.") ? "." : ", or load whole records (e.g. Synthea) as a client "
							+ "given its own limit in bonemarrow.security.limits.clients."));
		}
	}
}
