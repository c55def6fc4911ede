package org.bonemarrow.server.fhir;

import org.bonemarrow.server.security.SmartScopes;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Parameters;

/**
 * Type scopes for contained resources on the way out. A contained resource has no id of its own, so
 * HAPI's authorization sees only its container: a lab allowed to read a ServiceRequest would read the
 * Condition and MedicationStatement contained in it. Contained resources of a type the caller may not
 * read ({@code r} or {@code s}) are removed from what is returned, and the container is still returned
 * (refusing the whole order would stop the lab's work over data it does not need). The local reference
 * ({@code #id}) to a removed resource stays, without its target; a client that writes such a resource
 * back loses the removed contained resource, which only a client allowed to create its type could have
 * written back anyway (contained resources are checked like creates on write, see SearchScopeGuard).
 */
public final class ContainedResourceFilter {

	private ContainedResourceFilter() {}

	/**
	 * Removes, in place, every contained resource the scopes may not read: in the response, in the entries
	 * (and entry outcomes) of a Bundle, and in the resources of a Parameters, however deeply nested. Walks
	 * only where resources can sit, not every element: it runs on every response.
	 */
	public static void strip(IBaseResource response, SmartScopes scopes) {
		if (response instanceof Bundle bundle) {
			for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
				strip(entry.getResource(), scopes);
				if (entry.hasResponse()) {
					strip(entry.getResponse().getOutcome(), scopes);
				}
			}
		} else if (response instanceof Parameters parameters) {
			for (Parameters.ParametersParameterComponent parameter : parameters.getParameter()) {
				strip(parameter.getResource(), scopes);
			}
		}
		if (response instanceof DomainResource domain && domain.hasContained()) {
			domain.getContained().removeIf(contained -> !scopes.permitsAny(contained.fhirType(), "rs"));
		}
	}
}
