package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.Task;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The three client roles (and the auditor) with tokens from the real token endpoint: each may do its
 * part of the exam and nothing else, and a refusal is a 403 OperationOutcome with nothing stored.
 */
@FhirServerTest
class ClientRolesRestTest extends RestTestBase {

	private String patient;
	private String order;
	private String mrn;

	@BeforeEach
	void anExamOrderedByTheEhr() {
		mrn = Fixtures.unique("MRN");
		patient = createAs("ehr", Fixtures.patient(mrn));
		order = createAs("ehr", Fixtures.order(Fixtures.unique("PO"), patient));
	}

	@Test
	void ehrPlacesOrders_readsEverythingForItsExams_butWritesNoResults() {
		assertThat(fhirAs("ehr").get("/" + order).statusCode()).isEqualTo(200);
		assertThat(fhirAs("ehr").get("/Task?focus=" + order).statusCode()).isEqualTo(200);
		assertThat(fhirAs("ehr").get("/ServiceRequest/" + order.split("/")[1] + "/$exam-summary").statusCode())
				.isEqualTo(200);
		String specimen = createAs("lab", Fixtures.aspirate(order, patient));
		forbidden(fhirAs("ehr").body(json(Fixtures.report(order, patient, DiagnosticReportStatus.FINAL, specimen)))
				.post("/DiagnosticReport"));
		assertThat(total("/DiagnosticReport?based-on=" + order)).isZero();
	}

	@Test
	void labReadsOrders_writesSpecimensReportsAndFindings_andMovesTheTask_butPlacesNoOrders() {
		assertThat(fhirAs("lab").get("/" + order).statusCode()).isEqualTo(200);
		String specimen = createAs("lab", Fixtures.aspirate(order, patient));
		String observation = createAs("lab", Fixtures.meRatio(patient, specimen, 2.5));
		createAs("lab", Fixtures.report(order, patient, DiagnosticReportStatus.PRELIMINARY, specimen));
		assertThat(observation).startsWith("Observation/");

		// Task: update yes (it is the lab's work list), create no.
		Task task = parse(fhirAs("lab").get("/Task?focus=" + order), Bundle.class).getEntry().stream()
				.map(e -> (Task) e.getResource()).findFirst().orElseThrow();
		task.setBusinessStatus(new org.hl7.fhir.r4.model.CodeableConcept().setText("specimen received"));
		fhirAs("lab").body(json(task)).put("/" + task.getIdElement().toUnqualifiedVersionless().getValue())
				.then().statusCode(200);
		Task another = new Task();
		another.setStatus(Task.TaskStatus.REQUESTED).setIntent(Task.TaskIntent.ORDER);
		forbidden(fhirAs("lab").body(json(another)).post("/Task"));

		String placer = Fixtures.unique("PO");
		forbidden(fhirAs("lab").body(json(Fixtures.order(placer, patient))).post("/ServiceRequest"));
		assertThat(total("/ServiceRequest?identifier=" + Fixtures.PLACER_SYSTEM + "|" + placer)).isZero();
	}

	@Test
	void integrationClientReadsAndSearches_butWritesNothing_andCannotSeeTheAuditTrail() {
		assertThat(fhirAs("integration").get("/" + patient).statusCode()).isEqualTo(200);
		assertThat(fhirAs("integration").get("/ServiceRequest?subject=" + patient).statusCode()).isEqualTo(200);
		String family = Fixtures.unique("ReadOnly");
		var p = Fixtures.patient(Fixtures.unique("MRN"));
		p.getNameFirstRep().setFamily(family);
		forbidden(fhirAs("integration").body(json(p)).post("/Patient"));
		forbidden(fhirAs("integration").delete("/" + patient));
		forbidden(fhirAs("integration").get("/AuditEvent"));
		assertThat(total("/Patient?family=" + family)).isZero();
		assertThat(fhirAs("integration").get("/" + patient).statusCode()).isEqualTo(200);
	}

	@Test
	void auditorReadsTheAuditTrailOnly() {
		assertThat(fhirAs("auditor").get("/AuditEvent?_count=1").statusCode()).isEqualTo(200);
		forbidden(fhirAs("auditor").get("/" + patient));
		forbidden(fhirAs("auditor").get("/Patient?identifier=" + Fixtures.MRN_SYSTEM + "|" + mrn));
	}

	@Test
	void nobodyWritesAuditEvents_notEvenWithAWildcardScope() {
		String body = "{\"resourceType\":\"AuditEvent\",\"type\":{\"code\":\"rest\"},\"recorded\":\"2026-11-25T00:00:00Z\","
				+ "\"agent\":[{\"requestor\":true}],\"source\":{\"observer\":{\"display\":\"forger\"}}}";
		forbidden(fhir().body(body).post("/AuditEvent"));
		forbidden(fhirAs("auditor").body(body).post("/AuditEvent"));
	}

	@Test
	void aTransactionWithOneEntryOutsideTheScopeIsRefusedWhole() {
		String specimenId = Fixtures.unique("SPEC");
		var specimen = Fixtures.aspirate(order, patient);
		specimen.addIdentifier().setSystem("https://bonemarrow-exam.example/fhir/sid/specimen").setValue(specimenId);
		String placer = Fixtures.unique("PO");
		Bundle tx = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		add(tx, specimen);
		add(tx, Fixtures.order(placer, patient)); // the lab may not place orders
		forbidden(fhirAs("lab").body(json(tx)).post(""));
		assertThat(total("/Specimen?identifier=https://bonemarrow-exam.example/fhir/sid/specimen|" + specimenId)).isZero();
		assertThat(total("/ServiceRequest?identifier=" + Fixtures.PLACER_SYSTEM + "|" + placer)).isZero();
	}

	private static void add(Bundle tx, Resource r) {
		tx.addEntry().setFullUrl("urn:uuid:" + java.util.UUID.randomUUID()).setResource(r)
				.getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl(r.fhirType());
	}

	private String createAs(String client, Resource resource) {
		Response r = fhirAs(client).body(json(resource)).post("/" + resource.fhirType());
		r.then().statusCode(201);
		return idFromLocation(r.header("Location"));
	}

	private static void forbidden(Response r) {
		r.then().statusCode(403);
		OperationOutcome outcome = outcome(r);
		assertThat(outcome.getIssueFirstRep().getDiagnostics()).contains("Access denied");
	}
}
