package org.bonemarrow.server.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.hl7.fhir.r4.model.Binary;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which presentedForm urls name a Binary stored here, and whether that Binary is the report's to show. */
class ReportDocumentsTest {

	@ParameterizedTest(name = "{0} -> {1}")
	@CsvSource(nullValues = "none", value = {
			"Binary/42, Binary/42",
			"https://fhir.hospital.example/fhir/Binary/42, Binary/42",
			"Binary/42/_history/1, Binary/42/_history/1",
			"https://other.example/fhir/Binary/42, none",
			"https://fhir.hospital.example/fhir/Binary/42?_format=json, none",
			"DocumentReference/7, none",
			"urn:uuid:0f0e0d0c-0000-4000-8000-000000000001, none"})
	void localBinary(String url, String expected) {
		assertThat(ReportDocuments.localBinary(url, "https://fhir.hospital.example/fhir").map(IdType::getValue))
				.isEqualTo(Optional.ofNullable(expected));
	}

	@Test
	void aBinaryBelongsToTheReportUnlessItsSecurityContextNamesSomethingElse() {
		DiagnosticReport report = new DiagnosticReport();
		report.setId("DiagnosticReport/5");
		report.setSubject(new Reference("Patient/1"));
		report.addBasedOn(new Reference("ServiceRequest/2"));

		assertThat(ReportDocuments.belongsTo(new Binary(), report)).isTrue();
		assertThat(ReportDocuments.belongsTo(new Binary().setSecurityContext(new Reference("Patient/1")), report)).isTrue();
		assertThat(ReportDocuments.belongsTo(new Binary().setSecurityContext(new Reference("ServiceRequest/2")), report)).isTrue();
		assertThat(ReportDocuments.belongsTo(new Binary().setSecurityContext(new Reference("DiagnosticReport/5")), report)).isTrue();
		assertThat(ReportDocuments.belongsTo(new Binary().setSecurityContext(new Reference("Patient/9")), report)).isFalse();
	}
}
