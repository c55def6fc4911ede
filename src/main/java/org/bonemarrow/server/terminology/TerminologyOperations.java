package org.bonemarrow.server.terminology;

import ca.uhn.fhir.jpa.provider.ValueSetOperationProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import org.bonemarrow.server.fhir.FhirServerCustomizer;
import org.springframework.stereotype.Component;

/**
 * The FHIR terminology operations on the package's ValueSets, CodeSystems and ConceptMaps (stored
 * resources, installed by profiles.ProfilePackageInstaller), answered offline from HAPI's JPA validation
 * chain. HAPI's JPA configuration defines the ValueSet operation provider ({@code $expand},
 * {@code $validate-code}) but leaves registering it to the application: without it
 * {@code ValueSet/$expand} is not routed at all (400 "does not know how to handle").
 * {@code CodeSystem/$lookup}, {@code CodeSystem/$validate-code} and {@code ConceptMap/$translate} come with
 * HAPI's resource providers for those types. Who may call them: security.SmartScopeRules.
 */
@Component
public class TerminologyOperations implements FhirServerCustomizer {

	private final ValueSetOperationProvider valueSetOperations;

	public TerminologyOperations(ValueSetOperationProvider valueSetOperations) {
		this.valueSetOperations = valueSetOperations;
	}

	@Override
	public void customize(RestfulServer server) {
		server.registerProvider(valueSetOperations);
	}
}
