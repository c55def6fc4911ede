package org.bonemarrow.server.adapter;

import ca.uhn.fhir.interceptor.api.IInterceptorService;

/**
 * Where the workflow rules hook in: HAPI's JPA (global) interceptor service, not the REST server's. Storage
 * pointcuts then fire for every write, whatever its origin: a FHIR REST request, a transaction the HL7 v2
 * gateway runs inside the server, or a system request at start-up. Each rule registers itself exactly once,
 * from its constructor (a Spring singleton), and nowhere else; registering it on the RestfulServer as well
 * would run every hook twice for REST requests (two Tasks for one order).
 */
final class AdapterRules {

	private AdapterRules() {}

	static void register(IInterceptorService jpaInterceptors, Object rule) {
		jpaInterceptors.registerInterceptor(rule);
	}
}
