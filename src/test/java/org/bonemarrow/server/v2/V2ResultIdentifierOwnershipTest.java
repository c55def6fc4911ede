package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.hl7v2.util.Terser;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.bonemarrow.server.support.FhirServerTest;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Specimen;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 19 H1: a result whose filler order number (OBR-3), or a result or specimen identifier made from it,
 * already belongs to another patient's or another order's report must be refused (AE 205), and the other
 * report must stay as it was. Before the fix, patient C's ORU^R01 with patient D's filler number rewrote
 * D's DiagnosticReport and Observations as C's, answered AA.
 */
@FhirServerTest
class V2ResultIdentifierOwnershipTest extends V2TestBase {

	private static final String FINAL = "oru-r01-final-report.hl7";

	/** Patient D with an order and its final report stored; returns D's suffix. */
	private String storedFinalReport(Transport transport) throws Exception {
		String d = V2Samples.newSuffix();
		assertAa(send(transport, "ehr", V2Samples.unique("orm-o01-new-order.hl7", d)));
		assertAa(send(transport, "lab", V2Samples.unique(FINAL, d)));
		return d;
	}

	private record Snapshot(DiagnosticReport report, Map<String, String> observationVersions, String subject) {}

	private Snapshot snapshot(String suffix) {
		List<DiagnosticReport> reports = byIdentifier(DiagnosticReport.class, V2Codes.FILLER_SYSTEM, V2Samples.id("FO-V2-0001", suffix));
		assertThat(reports).hasSize(1);
		DiagnosticReport report = reports.get(0);
		String subject = report.getSubject().getReference();
		List<Observation> observations = search(Observation.class, "subject=" + subject);
		assertThat(observations).isNotEmpty();
		return new Snapshot(report, observations.stream().collect(Collectors.toMap(
				o -> o.getIdElement().toUnqualifiedVersionless().getValue(),
				o -> o.getSubject().getReference() + "@" + o.getMeta().getVersionId())), subject);
	}

	private void assertUnchanged(Snapshot before, String suffix) {
		Snapshot after = snapshot(suffix);
		assertThat(after.report().getIdElement().toUnqualifiedVersionless().getValue())
				.isEqualTo(before.report().getIdElement().toUnqualifiedVersionless().getValue());
		assertThat(after.report().getMeta().getVersionId()).as("the other report's version").isEqualTo(before.report().getMeta().getVersionId());
		assertThat(after.subject()).isEqualTo(before.subject());
		assertThat(after.report().getBasedOnFirstRep().getReference()).isEqualTo(before.report().getBasedOnFirstRep().getReference());
		assertThat(after.observationVersions()).as("the other report's findings, subject and version").isEqualTo(before.observationVersions());
	}

	private static void assertDuplicateKey(String ackText, String segment, String field) throws Exception {
		Terser ack = ack(ackText);
		assertThat(ack.get("/MSA-1")).as("ACK (ERR-8 %s)", ack.get("/ERR-8")).isEqualTo("AE");
		assertThat(ack.get("/ERR-3-1")).isEqualTo("205");
		assertThat(ack.get("/ERR-2-1")).isEqualTo(segment);
		assertThat(ack.get("/ERR-2-3")).isEqualTo(field);
		// names fields, never the identifiers, names or the other patient
		assertThat(ack.get("/ERR-8")).contains("nothing was stored")
				.doesNotContain("FO-V2", "MRN-V2", "PO-V2", "SP-V2", "Demo-Fictional", "Ada", "Patient/");
	}

	@ParameterizedTest
	@EnumSource(Transport.class)
	void anotherPatientsFillerNumberIsRefused_andTheirReportStaysTheirs(Transport transport) throws Exception {
		String d = storedFinalReport(transport);
		Snapshot before = snapshot(d);
		String c = V2Samples.newSuffix();
		assertAa(send(transport, "ehr", V2Samples.unique("orm-o01-new-order.hl7", c)));
		// C's own PID-3 and OBR-2, but D's filler number in ORC-3/OBR-3
		String wrong = V2Samples.unique(FINAL, c).replace(V2Samples.id("FO-V2-0001", c), V2Samples.id("FO-V2-0001", d));

		assertDuplicateKey(send(transport, "lab", wrong), "OBR", "3");

		assertUnchanged(before, d);
		String cPatient = patientRef(c);
		assertThat(search(DiagnosticReport.class, "subject=" + cPatient)).as("C has no report").isEmpty();
		assertThat(search(Observation.class, "subject=" + cPatient)).isEmpty();
		assertThat(search(Specimen.class, "subject=" + cPatient)).isEmpty();

		// D's own correction still goes through and updates D's report in place.
		assertAa(send(transport, "lab", V2Samples.unique("oru-r01-corrected-report.hl7", d)));
		Snapshot corrected = snapshot(d);
		assertThat(corrected.report().getStatus()).isEqualTo(DiagnosticReport.DiagnosticReportStatus.CORRECTED);
		assertThat(corrected.subject()).isEqualTo(before.subject());
		assertThat(corrected.observationVersions().keySet()).isEqualTo(before.observationVersions().keySet());
	}

	@ParameterizedTest
	@EnumSource(Transport.class)
	void theFillerNumberOfAnotherOrderOfTheSamePatientIsRefused(Transport transport) throws Exception {
		String d = storedFinalReport(transport);
		Snapshot before = snapshot(d);
		// a second order of the same patient (same MRN, its own placer number PO-V2-0002)
		assertAa(send(transport, "ehr", V2Samples.unique("oml-o21-new-order.hl7", d).replace("MRN-V2-1002-", "MRN-V2-1001-")));
		String forSecondOrder = V2Samples.unique(FINAL, d).replace(V2Samples.id("PO-V2-0001", d), V2Samples.id("PO-V2-0002", d))
				.replaceAll("SP-V2-0001-([AB])-" + d, "SP-V2-0009-$1-" + d);

		assertDuplicateKey(send(transport, "lab", forSecondOrder), "OBR", "3");

		assertUnchanged(before, d);
		assertThat(byIdentifier(Specimen.class, V2Codes.SPECIMEN_SYSTEM, V2Samples.id("SP-V2-0009-A", d))).isEmpty();
	}

	@ParameterizedTest
	@EnumSource(Transport.class)
	void anotherPatientsSpecimenIdIsRefused(Transport transport) throws Exception {
		String d = storedFinalReport(transport);
		String c = V2Samples.newSuffix();
		assertAa(send(transport, "ehr", V2Samples.unique("orm-o01-new-order.hl7", c)));
		// C's own order and filler number, but D's aspirate specimen id in SPM-2
		String wrong = V2Samples.unique(FINAL, c).replace(V2Samples.id("SP-V2-0001-A", c), V2Samples.id("SP-V2-0001-A", d));

		assertDuplicateKey(send(transport, "lab", wrong), "SPM", "2");

		assertThat(byIdentifier(DiagnosticReport.class, V2Codes.FILLER_SYSTEM, V2Samples.id("FO-V2-0001", c))).isEmpty();
		List<Specimen> dSpecimens = byIdentifier(Specimen.class, V2Codes.SPECIMEN_SYSTEM, V2Samples.id("SP-V2-0001-A", d));
		assertThat(dSpecimens).hasSize(1);
		assertThat(dSpecimens.get(0).getSubject().getReference()).isEqualTo(snapshot(d).subject());
	}

	private String patientRef(String suffix) {
		List<Patient> patients = byIdentifier(Patient.class, V2Codes.MRN_SYSTEM, V2Samples.id("MRN-V2-1001", suffix));
		assertThat(patients).hasSize(1);
		return patients.get(0).getIdElement().toUnqualifiedVersionless().getValue();
	}
}
