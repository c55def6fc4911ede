package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile and malformed input from an authenticated client: each gets a clear 4xx OperationOutcome, and
 * the database holds nothing new afterwards (checked by searching for what the request tried to store).
 */
@FhirServerTest
class HostileInputRestTest extends RestTestBase {

	@Test
	void anOversizeBodyIs413_andNothingIsStored() {
		String family = Fixtures.unique("Oversize");
		String padding = "x".repeat(6 * 1024 * 1024);
		String body = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\",\"text\":\"" + padding + "\"}]}";
		Response r = fhir().body(body).post("/Patient");
		assertOutcome(r, 413, "exceeds the limit");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@Test
	void aBundleOverTheEntryLimitIs413_andNoEntryIsStored() {
		String family = Fixtures.unique("Flood");
		Bundle tx = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		for (int i = 0; i < 1001; i++) {
			Patient p = new Patient();
			p.addName().setFamily(family);
			tx.addEntry().setResource(p).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Patient");
		}
		assertOutcome(fhir().body(json(tx)).post(""), 413, "1001 entries");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@Test
	void xmlWithAnExternalEntityIs400_andNothingIsStoredOrLeaked() {
		String family = Fixtures.unique("Xxe");
		String xxe = "<?xml version=\"1.0\"?><!DOCTYPE Patient [<!ENTITY leak SYSTEM \"file:///etc/passwd\">]>"
				+ "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"" + family + "\"/>"
				+ "<given value=\"&leak;\"/></name></Patient>";
		Response r = fhir().contentType("application/fhir+xml").body(xxe).post("/Patient");
		assertOutcome(r, 400, "DOCTYPE");
		assertThat(r.asString()).doesNotContain("root:");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@Test
	void deeplyNestedJsonIs400_andNothingIsStored() {
		String family = Fixtures.unique("Deep");
		String nested = "[".repeat(5000) + "]".repeat(5000);
		String body = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}],\"extension\":" + nested + "}";
		assertOutcome(fhir().body(body).post("/Patient"), 400, "nested");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@ParameterizedTest
	@ValueSource(strings = {"text/plain", "application/octet-stream", "multipart/form-data; boundary=x"})
	void aWrongContentTypeIs415_andNothingIsStored(String contentType) {
		String family = Fixtures.unique("Type");
		String body = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}]}";
		assertOutcome(fhir().contentType(contentType).body(body.getBytes(java.nio.charset.StandardCharsets.UTF_8))
				.post("/Patient"), 415, "not accepted");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@ParameterizedTest
	@ValueSource(strings = {
		"/Patient?_sort=family;DROP%20TABLE%20HFJ_RESOURCE",
		"/Patient?name%27%20OR%201=1--=x",
		"/Patient?_count=1;DELETE%20FROM%20HFJ_RESOURCE",
		"/Patient?birthdate=2020-01-01%27%20OR%20%271%27=%271",
		"/Patient?_lastUpdated=gt2020%27%20OR%201=1"
	})
	void injectionInSearchSyntaxIs400(String search) {
		int before = total("/Patient");
		Response r = fhir().urlEncodingEnabled(false).get(search);
		assertThat(r.statusCode()).as(search).isEqualTo(400);
		assertThat(outcome(r).getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
		assertThat(total("/Patient")).isEqualTo(before);
	}

	@Test
	void injectionInASearchValueIsOnlyData_itMatchesNothing() {
		int before = total("/Patient");
		Response r = fhir().get("/Patient?family=x' OR '1'='1");
		r.then().statusCode(200);
		assertThat(bundle(r).getEntry()).isEmpty();
		assertThat(total("/Patient")).isEqualTo(before);
	}

	@Test
	void aReportReferringToAnotherPatientsSpecimenIs422_andNothingIsStored() {
		String alice = create(Fixtures.patient(Fixtures.unique("MRN")));
		String bob = create(Fixtures.patient(Fixtures.unique("MRN")));
		String alicesOrder = create(Fixtures.order(Fixtures.unique("PO"), alice));
		String bobsOrder = create(Fixtures.order(Fixtures.unique("PO"), bob));
		String bobsSpecimen = create(Fixtures.aspirate(bobsOrder, bob));

		Response r = fhir().body(json(Fixtures.report(alicesOrder, alice, DiagnosticReportStatus.FINAL, bobsSpecimen)))
				.post("/DiagnosticReport");
		assertOutcome(r, 422, bobsSpecimen + ", which belongs to a different patient");
		assertThat(total("/DiagnosticReport?based-on=" + alicesOrder)).isZero();
	}

	@Test
	void anObservationOnAnotherPatientsSpecimenIs422() {
		String alice = create(Fixtures.patient(Fixtures.unique("MRN")));
		String bob = create(Fixtures.patient(Fixtures.unique("MRN")));
		String bobsSpecimen = create(Fixtures.aspirate(create(Fixtures.order(Fixtures.unique("PO"), bob)), bob));
		Response r = fhir().body(json(Fixtures.meRatio(alice, bobsSpecimen, 3.0))).post("/Observation");
		assertOutcome(r, 422, "belongs to a different patient");
		assertThat(total("/Observation?subject=" + alice)).isZero();
	}

	private static void assertOutcome(Response r, int status, String diagnosticsContain) {
		assertThat(r.statusCode()).isEqualTo(status);
		assertThat(r.contentType()).contains("fhir+json");
		OperationOutcome outcome = outcome(r);
		assertThat(outcome.getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
		assertThat(outcome.getIssueFirstRep().getDiagnostics()).contains(diagnosticsContain);
	}
}
