package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;

/**
 * A record never ends up under, or linked to, the wrong patient through an update (issue 19, H1 and M8):
 * moving a resource to another patient, a conditional update whose identifier matches another patient's
 * record, giving a resource a patient that contradicts what already points at it, and a subject given
 * only by identifier. Each refusal is 422 and leaves the stored records as they were.
 */
@FhirServerTest
class CrossPatientRestTest extends RestTestBase {

	private static final String FILLER_SYSTEM = "https://bonemarrow-exam.example/fhir/sid/filler-order";

	@Test
	void movingAFindingOfAsReportToPatientBIs422_andTheFindingStaysAs() {
		String mrnA = Fixtures.unique("MRN");
		Bundle stored = bundle(fhir().body(json(Fixtures.examTransaction(mrnA, Fixtures.unique("PO")))).post(""));
		String finding = locationOf(stored, "Observation/");
		String bob = create(Fixtures.patient(Fixtures.unique("MRN")));

		Observation moved = parse(fhir().get("/" + finding), Observation.class);
		String alice = moved.getSubject().getReference();
		moved.setSubject(new Reference(bob));
		Response r = fhirAs("lab").body(json(moved)).put("/" + finding);

		assertOutcome(r, 422, "an update cannot move it to " + bob);
		Observation after = parse(fhir().get("/" + finding), Observation.class);
		assertThat(after.getSubject().getReference()).isEqualTo(alice);
		assertThat(after.getMeta().getVersionId()).isEqualTo("1");
	}

	@Test
	void aConditionalUpdateWhoseIdentifierMatchesAnotherPatientsReportIs422_andThatReportIsUnchanged() {
		String filler = Fixtures.unique("FN");
		String dora = create(Fixtures.patient(Fixtures.unique("MRN")));
		String dorasOrder = create(Fixtures.order(Fixtures.unique("PO"), dora));
		String dorasSpecimen = create(Fixtures.aspirate(dorasOrder, dora));
		DiagnosticReport dorasReport = Fixtures.report(dorasOrder, dora, DiagnosticReportStatus.FINAL, dorasSpecimen);
		dorasReport.addIdentifier(new Identifier().setSystem(FILLER_SYSTEM).setValue(filler));
		String dorasReportId = create(dorasReport);

		String carl = create(Fixtures.patient(Fixtures.unique("MRN")));
		String carlsOrder = create(Fixtures.order(Fixtures.unique("PO"), carl));
		String carlsSpecimen = create(Fixtures.aspirate(carlsOrder, carl));
		DiagnosticReport carlsReport = Fixtures.report(carlsOrder, carl, DiagnosticReportStatus.FINAL, carlsSpecimen);
		carlsReport.addIdentifier(new Identifier().setSystem(FILLER_SYSTEM).setValue(filler));

		Response r = fhirAs("lab").body(json(carlsReport)).put("/DiagnosticReport?identifier=" + FILLER_SYSTEM + "|" + filler);

		assertOutcome(r, 422, dorasReportId + " belongs to " + dora);
		DiagnosticReport after = parse(fhir().get("/" + dorasReportId), DiagnosticReport.class);
		assertThat(after.getSubject().getReference()).isEqualTo(dora);
		assertThat(after.getBasedOnFirstRep().getReference()).isEqualTo(dorasOrder);
		assertThat(after.getMeta().getVersionId()).isEqualTo("1");
		assertThat(total("/DiagnosticReport?subject=" + carl)).isZero();
	}

	@Test
	void givingAFindingAPatientOtherThanThatOfTheReportListingItIs422() {
		String alice = create(Fixtures.patient(Fixtures.unique("MRN")));
		String bob = create(Fixtures.patient(Fixtures.unique("MRN")));
		String finding = create(freeTextFinding(null));
		DiagnosticReport report = new DiagnosticReport();
		report.setStatus(DiagnosticReportStatus.FINAL);
		report.setCode(new CodeableConcept().setText("Free-text report"));
		report.setSubject(new Reference(alice));
		report.addResult(new Reference(finding));
		String reportId = create(report);

		Observation withPatient = freeTextFinding(new Reference(bob));
		withPatient.setId(finding);
		Response r = fhirAs("lab").body(json(withPatient)).put("/" + finding);

		assertOutcome(r, 422, reportId + " refers to " + finding);
		assertThat(parse(fhir().get("/" + finding), Observation.class).hasSubject()).isFalse();

		// With nothing pointing at it, a finding may get its patient.
		String unlinked = create(freeTextFinding(null));
		Observation givenBob = freeTextFinding(new Reference(bob));
		givenBob.setId(unlinked);
		fhirAs("lab").body(json(givenBob)).put("/" + unlinked).then().statusCode(200);
	}

	@Test
	void aSubjectGivenByIdentifierIsResolvedAndChecked() {
		String mrnA = Fixtures.unique("MRN");
		String mrnB = Fixtures.unique("MRN");
		String alice = create(Fixtures.patient(mrnA));
		create(Fixtures.patient(mrnB));
		String alicesSpecimen = create(Fixtures.aspirate(create(Fixtures.order(Fixtures.unique("PO"), alice)), alice));

		Observation asBob = freeTextFinding(byMrn(mrnB));
		asBob.setSpecimen(new Reference(alicesSpecimen));
		assertOutcome(fhirAs("lab").body(json(asBob)).post("/Observation"), 422, "belongs to a different patient");

		Observation asUnknown = freeTextFinding(byMrn(Fixtures.unique("MRN")));
		asUnknown.setSpecimen(new Reference(alicesSpecimen));
		assertOutcome(fhirAs("lab").body(json(asUnknown)).post("/Observation"), 422, "belongs to a different patient");
		assertThat(total("/Observation?specimen=" + alicesSpecimen)).isZero();

		Observation asAlice = freeTextFinding(byMrn(mrnA));
		asAlice.setSpecimen(new Reference(alicesSpecimen));
		fhirAs("lab").body(json(asAlice)).post("/Observation").then().statusCode(201);
		assertThat(total("/Observation?specimen=" + alicesSpecimen)).isEqualTo(1);
	}

	/** Not an exam finding (no exam code), so no profile asks for a subject. */
	private static Observation freeTextFinding(Reference subject) {
		Observation o = new Observation();
		o.setStatus(Observation.ObservationStatus.FINAL);
		o.setCode(new CodeableConcept().setText("Free-text finding"));
		if (subject != null) {
			o.setSubject(subject);
		}
		return o;
	}

	private static Reference byMrn(String mrn) {
		return new Reference().setIdentifier(new Identifier().setSystem(Fixtures.MRN_SYSTEM).setValue(mrn));
	}

	private static String locationOf(Bundle transactionResponse, String prefix) {
		return transactionResponse.getEntry().stream()
				.map(e -> e.getResponse().getLocation().replaceFirst("^.*/fhir/", "").replaceFirst("/_history/.*$", ""))
				.filter(id -> id.startsWith(prefix))
				.findFirst().orElseThrow();
	}

	private static void assertOutcome(Response r, int status, String diagnosticsContain) {
		assertThat(r.statusCode()).as(r.asString()).isEqualTo(status);
		OperationOutcome outcome = outcome(r);
		assertThat(outcome.getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
		assertThat(outcome.getIssueFirstRep().getDiagnostics()).contains(diagnosticsContain);
	}
}
