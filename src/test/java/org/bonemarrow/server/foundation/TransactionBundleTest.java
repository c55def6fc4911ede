package org.bonemarrow.server.foundation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.support.Fixtures.*;

import io.restassured.response.Response;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Specimen;
import org.junit.jupiter.api.Test;

/** Transactions are all or nothing, and urn:uuid references come back as real ids. */
@FhirServerTest
class TransactionBundleTest extends RestTestBase {

	@Test
	void wholeExamIsStoredWithResolvedReferences() {
		String mrn = unique("mrn"), placer = unique("placer");
		Response r = fhir().body(json(examTransaction(mrn, placer))).post("/");
		r.then().statusCode(200);
		Bundle response = bundle(r);
		assertThat(response.getType()).isEqualTo(Bundle.BundleType.TRANSACTIONRESPONSE);
		assertThat(response.getEntry()).hasSize(7)
				.allSatisfy(e -> assertThat(e.getResponse().getStatus()).startsWith("201"));

		String patientId = idFromLocation("/fhir/" + response.getEntry().get(0).getResponse().getLocation());
		String orderId = idFromLocation("/fhir/" + response.getEntry().get(1).getResponse().getLocation());
		String reportId = idFromLocation("/fhir/" + response.getEntry().get(6).getResponse().getLocation());

		DiagnosticReport report = parse(fhir().get("/" + reportId), DiagnosticReport.class);
		assertThat(report.getBasedOnFirstRep().getReference()).isEqualTo(orderId);
		assertThat(report.getSubject().getReference()).isEqualTo(patientId);
		assertThat(report.getSpecimen()).extracting(Reference::getReference).allMatch(s -> s.startsWith("Specimen/"));

		Observation obs = parse(fhir().get("/" + report.getResultFirstRep().getReference()), Observation.class);
		assertThat(obs.getSubject().getReference()).isEqualTo(patientId);
		Specimen aspirate = parse(fhir().get("/" + obs.getSpecimen().getReference()), Specimen.class);
		assertThat(aspirate.getRequestFirstRep().getReference()).isEqualTo(orderId);
		assertThat(total("/Specimen?patient=" + patientId)).isEqualTo(2);
	}

	@Test
	void oneBadEntryStoresNothing() {
		String mrn = unique("mrn"), placer = unique("placer");
		Bundle tx = examTransaction(mrn, placer);
		// The report points at a specimen that does not exist: referential integrity fails late in the bundle.
		DiagnosticReport report = (DiagnosticReport) tx.getEntry().get(6).getResource();
		report.addSpecimen(new Reference("Specimen/does-not-exist-" + placer));

		Response r = fhir().body(json(tx)).post("/");
		assertThat(r.statusCode()).isIn(400, 404, 422);
		OperationOutcome oo = outcome(r);
		assertThat(oo.getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
		assertThat(oo.getIssueFirstRep().getDiagnostics()).contains("does-not-exist-" + placer);

		assertThat(total("/Patient?identifier=" + MRN_SYSTEM + "|" + mrn)).isZero();
		assertThat(total("/ServiceRequest?identifier=" + PLACER_SYSTEM + "|" + placer)).isZero();
	}

	@Test
	void malformedEntryInTransactionIsRejectedWithOutcome() {
		String placer = unique("placer");
		String body = json(examTransaction(unique("mrn"), placer))
				.replaceFirst("\"status\": ?\"active\"", "\"status\":\"not-a-status\"");
		Response r = fhir().body(body).post("/");
		r.then().statusCode(400);
		assertThat(outcome(r).getIssueFirstRep().getDiagnostics()).containsIgnoringCase("not-a-status");
		assertThat(total("/ServiceRequest?identifier=" + PLACER_SYSTEM + "|" + placer)).isZero();
	}
}
