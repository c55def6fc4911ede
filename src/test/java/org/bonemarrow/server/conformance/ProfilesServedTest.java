package org.bonemarrow.server.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.SampleBundles;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.Test;

/** The package is loaded at start-up: advertised, readable, searchable, and usable by $validate. */
@FhirServerTest
class ProfilesServedTest extends RestTestBase {

	static final String BASE = "https://bonemarrow-exam.example/fhir/StructureDefinition/";

	@Test
	void capabilityStatementListsOurProfilesPerResourceType() {
		CapabilityStatement cs = parse(fhir().get("/metadata"), CapabilityStatement.class);
		assertThat(supported(cs, "ServiceRequest")).contains(BASE + "bme-exam-order");
		assertThat(supported(cs, "Procedure")).contains(BASE + "bme-exam-procedure", BASE + "bme-anaesthesia");
		assertThat(supported(cs, "Specimen")).contains(BASE + "bme-marrow-specimen");
		assertThat(supported(cs, "DiagnosticReport")).contains(BASE + "bme-exam-report");
		assertThat(supported(cs, "Observation")).contains(BASE + "bme-me-ratio", BASE + "bme-blast-percentage",
				BASE + "bme-cellularity", BASE + "bme-iron-stores", BASE + "bme-differential-count", BASE + "bme-interpretation");
	}

	@Test
	void profilesAndValueSetsAreReadableOverRest() {
		assertThat(total("/StructureDefinition?url=" + BASE + "bme-exam-order")).isEqualTo(1);
		assertThat(total("/ValueSet?url=https://bonemarrow-exam.example/fhir/ValueSet/bme-indications")).isEqualTo(1);
	}

	@Test
	void specimensAreSearchableByTheirOrderFromTheFirstStart() {
		Bundle tx = SampleBundles.unique("exam-iron-assessment.json");
		Bundle response = bundle(fhir().body(json(tx)).post("/"));
		String order = response.getEntry().stream()
				.map(e -> e.getResponse().getLocation())
				.filter(l -> l.startsWith("ServiceRequest/"))
				.findFirst().orElseThrow().replaceAll("/_history.*", "");
		Bundle specimens = bundle(fhir().get("/Specimen?request=" + order));
		assertThat(specimens.getEntry()).hasSize(2)
				.allSatisfy(e -> assertThat(((org.hl7.fhir.r4.model.Specimen) e.getResource()).getRequestFirstRep().getReference())
						.isEqualTo(order));
	}

	@Test
	void validateOperationHonoursTheProfileParameter() {
		ServiceRequest order = (ServiceRequest) SampleBundles.unique("exam-suspected-leukaemia.json").getEntry().stream()
				.filter(e -> e.getResource() instanceof ServiceRequest).findFirst().orElseThrow().getResource();
		order.getMeta().getProfile().clear();
		order.setSubject(null);
		order.setRequester(null);
		order.getSupportingInfo().clear();
		order.getReasonReference().clear();
		order.getReasonCode().clear();

		Response r = fhir().body(json(order)).post("/ServiceRequest/$validate?profile=" + BASE + "bme-exam-order");
		OperationOutcome oo = outcome(r);
		assertThat(oo.getIssue()).filteredOn(i -> i.getSeverity() == OperationOutcome.IssueSeverity.ERROR)
				.extracting(OperationOutcome.OperationOutcomeIssueComponent::getDiagnostics)
				.anyMatch(d -> d.contains("ServiceRequest.reasonCode"))
				.anyMatch(d -> d.contains("ServiceRequest.subject"));

		// Without ?profile= the same resource is only checked against base R4, where it is valid enough.
		OperationOutcome base = outcome(fhir().body(json(order)).post("/ServiceRequest/$validate"));
		assertThat(base.getIssue()).noneMatch(i -> i.getSeverity() == OperationOutcome.IssueSeverity.ERROR
				&& i.getDiagnostics().contains("reasonCode"));
	}

	private static java.util.List<String> supported(CapabilityStatement cs, String type) {
		return cs.getRestFirstRep().getResource().stream().filter(r -> r.getType().equals(type)).findFirst().orElseThrow()
				.getSupportedProfile().stream().map(CanonicalType::getValue).toList();
	}
}
