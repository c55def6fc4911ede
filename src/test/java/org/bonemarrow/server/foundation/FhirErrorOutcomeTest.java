package org.bonemarrow.server.foundation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.support.Fixtures.*;

import io.restassured.response.Response;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.Test;

/** Every failure is a FHIR OperationOutcome with the status a FHIR client expects. */
@FhirServerTest
class FhirErrorOutcomeTest extends RestTestBase {

	@Test
	void malformedJsonIs400() {
		Response r = fhir().body("{\"resourceType\":\"ServiceRequest\",").post("/ServiceRequest");
		assertOutcome(r, 400, "Failed to parse");
	}

	@Test
	void malformedXmlIs400() {
		Response r = fhir().contentType("application/fhir+xml")
				.body("<ServiceRequest xmlns=\"http://hl7.org/fhir\"><status value=\"active\"></ServiceRequest>")
				.post("/ServiceRequest");
		assertOutcome(r, 400, "Failed to parse");
	}

	@Test
	void unknownResourceTypeIs404() {
		assertOutcome(fhir().get("/BoneMarrowThing/1"), 404, "Unknown resource type 'BoneMarrowThing'");
	}

	@Test
	void unknownIdIs404() {
		assertOutcome(fhir().get("/ServiceRequest/no-such-order-" + unique("x")), 404, "not known");
	}

	@Test
	void deletingAReferencedPatientIs409() {
		String patient = create(patient(unique("mrn")));
		create(order(unique("placer"), patient));
		assertOutcome(fhir().delete("/" + patient), 409, "Unable to delete");
	}

	@Test
	void updateWithMismatchedIdIs400() {
		String patient = create(patient(unique("mrn")));
		org.hl7.fhir.r4.model.Patient p = patient(unique("mrn"));
		p.setId("some-other-id");
		assertOutcome(fhir().body(json(p)).put("/" + patient), 400, "does not match");
	}

	private void assertOutcome(Response r, int status, String diagnosticsContain) {
		r.then().statusCode(status);
		OperationOutcome oo = outcome(r);
		assertThat(oo.getIssue()).isNotEmpty();
		assertThat(oo.getIssueFirstRep().getSeverity()).isIn(OperationOutcome.IssueSeverity.ERROR, OperationOutcome.IssueSeverity.FATAL);
		assertThat(oo.getIssueFirstRep().getDiagnostics()).contains(diagnosticsContain);
	}
}
