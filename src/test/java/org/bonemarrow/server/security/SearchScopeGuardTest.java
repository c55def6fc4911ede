package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.util.FhirContextSearchParamRegistry;
import ca.uhn.fhir.util.UrlUtil;
import java.util.Optional;
import org.bonemarrow.server.fhir.SearchScopeGuard;
import org.bonemarrow.server.fhir.SearchScopeGuard.Refusal;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The types a request reaches, judged from its parameters and body alone, with R4's search parameters. */
class SearchScopeGuardTest {

	private static final FhirContext CTX = FhirContext.forR4Cached();
	private static final SearchScopeGuard GUARD = new SearchScopeGuard(CTX, new FhirContextSearchParamRegistry(CTX));

	private static final SmartScopes LAB = SmartScopes.parse("system/Patient.rs system/ServiceRequest.rs "
			+ "system/Specimen.crus system/Observation.crus system/DiagnosticReport.crus system/Practitioner.crus");
	private static final SmartScopes INTEGRATION = SmartScopes.parse("system/*.rs");
	private static final SmartScopes AUDITOR = SmartScopes.parse("system/AuditEvent.rs");

	@ParameterizedTest(name = "{0} {1}?{2} -> {3}")
	@CsvSource(delimiter = ';', value = {
		// client; type; query; refused type (empty: allowed)
		"lab; Patient; _has:Condition:subject:code=x; Condition",
		"lab; Patient; _has:MedicationStatement:subject:status=active; MedicationStatement",
		"integration; Patient; _has:AuditEvent:entity:agent-name=lab; AuditEvent",
		"integration; Patient; _has:Observation:subject:_has:AuditEvent:entity:agent-name=lab; AuditEvent",
		"lab; Patient; _has:Observation:subject:code=x; ",
		"auditor; AuditEvent; patient.family=x; Patient",
		"auditor; AuditEvent; entity:Patient.identifier=x; Patient",
		"auditor; AuditEvent; _sort=-patient.family; Patient",
		"auditor; AuditEvent; agent-name=lab&_sort=-date; ",
		"lab; Observation; subject:Patient.identifier=x; ",
		"lab; Observation; subject.identifier=x; Device",
		"lab; Specimen; patient.identifier=x; ",
		"lab; Specimen; patient._has:Condition:subject:code=x; Condition",
		"lab; Patient; _revinclude=Condition:subject; Condition",
		"lab; Patient; _revinclude=Specimen:patient; ",
		"integration; Patient; _revinclude=AuditEvent:entity; AuditEvent",
		"integration; Patient; _revinclude=*; AuditEvent",
		"lab; ServiceRequest; _include=ServiceRequest:based-on; CarePlan",
		"lab; Observation; _include=Observation:focus; Account",
		"lab; ServiceRequest; _include=ServiceRequest:subject:Patient; ",
		"lab; ServiceRequest; _include:iterate=Condition:subject; Condition",
		"integration; DiagnosticReport; _include=DiagnosticReport:result; ",
		"lab; DiagnosticReport; _include=DiagnosticReport:result&_include=DiagnosticReport:specimen; ",
		"lab; ServiceRequest; _list=12; List",
	})
	void searchParameters(String client, String type, String query, String refusedType) {
		Optional<Refusal> refusal = search(scopes(client), type, query);
		if (refusedType == null) {
			assertThat(refusal).isEmpty();
		} else {
			assertThat(refusal).map(Refusal::type).contains(refusedType);
		}
	}

	@Test
	void wildcardIncludesAreJudgedByEveryTypeTheyMayReach() {
		assertThat(search(LAB, "ServiceRequest", "_include=*")).isPresent();
		assertThat(search(LAB, "ServiceRequest", "_include=ServiceRequest:*")).isPresent();
		assertThat(search(INTEGRATION, "DiagnosticReport", "_include=DiagnosticReport:*")).isEmpty();
		// iterating, a wildcard may reach anything, AuditEvent included
		assertThat(search(INTEGRATION, "DiagnosticReport", "_include:iterate=*")).map(Refusal::type).contains("AuditEvent");
		assertThat(search(SmartScopes.parse("system/*.rs system/AuditEvent.rs"), "Observation", "_include:iterate=*")).isEmpty();
	}

	@Test
	void chainsTooDeepAreRefused() {
		assertThatThrownBy(() -> search(INTEGRATION, "Observation",
				"subject:Patient.organization.partof.partof.partof.partof.name=x"))
				.isInstanceOf(InvalidRequestException.class);
	}

	@Test
	void conditionalReferencesAndContainedResourcesInABody() {
		Observation o = new Observation();
		o.addFocus(new Reference("Condition?code=x&subject=Patient/1"));
		assertThat(GUARD.body(o, LAB)).map(Refusal::type).contains("Condition");
		assertThat(GUARD.body(o, INTEGRATION)).isEmpty();

		Observation p = new Observation();
		p.setSubject(new Reference("Patient?identifier=x&_has:Condition:subject:code=y"));
		assertThat(GUARD.body(p, LAB)).map(Refusal::type).contains("Condition");

		Observation withContained = new Observation();
		withContained.addContained(new Condition().setId("dx"));
		assertThat(GUARD.body(withContained, LAB)).map(r -> r.type() + " " + r.interaction()).contains("Condition create");
	}

	@Test
	void transactionEntries() {
		Bundle tx = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		tx.addEntry().setResource(new Observation()).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Observation")
				.setIfNoneExist("subject:Patient._has:Condition:subject:code=x");
		assertThat(request(LAB, RestOperationTypeEnum.TRANSACTION, null, "", tx)).map(Refusal::type).contains("Condition");

		Bundle put = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		put.addEntry().setResource(new Observation()).getRequest().setMethod(Bundle.HTTPVerb.PUT)
				.setUrl("Observation?identifier=x&subject:Patient._has:MedicationStatement:subject:status=active");
		assertThat(request(LAB, RestOperationTypeEnum.TRANSACTION, null, "", put)).map(Refusal::type)
				.contains("MedicationStatement");

		Bundle get = new Bundle().setType(Bundle.BundleType.BATCH);
		get.addEntry().getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl("Condition?code=x");
		assertThat(request(LAB, RestOperationTypeEnum.TRANSACTION, null, "", get)).map(Refusal::type).contains("Condition");

		Bundle fine = new Bundle().setType(Bundle.BundleType.BATCH);
		fine.addEntry().getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl("Specimen?patient.identifier=x");
		assertThat(request(LAB, RestOperationTypeEnum.TRANSACTION, null, "", fine)).isEmpty();
	}

	@Test
	void systemSearchNeedsEveryTypeItSearches() {
		assertThat(request(INTEGRATION, RestOperationTypeEnum.SEARCH_SYSTEM, null, "_lastUpdated=gt2020", null))
				.map(Refusal::type).contains("AuditEvent");
		assertThat(request(INTEGRATION, RestOperationTypeEnum.SEARCH_SYSTEM, null, "_type=Patient,Observation", null)).isEmpty();
	}

	private static Optional<Refusal> search(SmartScopes scopes, String type, String query) {
		return request(scopes, RestOperationTypeEnum.SEARCH_TYPE, type, query, null);
	}

	private static Optional<Refusal> request(SmartScopes scopes, RestOperationTypeEnum operation, String type,
			String query, org.hl7.fhir.instance.model.api.IBaseResource body) {
		SystemRequestDetails request = new SystemRequestDetails();
		request.setRestOperationType(operation);
		request.setResourceName(type);
		request.setParameters(UrlUtil.parseQueryString(query));
		request.setResource(body);
		return GUARD.check(request, scopes);
	}

	private static SmartScopes scopes(String client) {
		return switch (client) {
			case "lab" -> LAB;
			case "integration" -> INTEGRATION;
			case "auditor" -> AUDITOR;
			default -> throw new IllegalArgumentException(client);
		};
	}
}
