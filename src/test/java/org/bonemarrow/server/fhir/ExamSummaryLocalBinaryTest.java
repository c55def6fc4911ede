package org.bonemarrow.server.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import org.hl7.fhir.r4.model.Attachment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which presentedForm urls name a Binary stored here, so that $exam-summary returns it with the report. */
class ExamSummaryLocalBinaryTest {

	@ParameterizedTest(name = "{0} -> {1}")
	@CsvSource(nullValues = "none", value = {
			"Binary/42, Binary/42",
			"https://fhir.hospital.example/fhir/Binary/42, Binary/42",
			"https://other.example/fhir/Binary/42, none",
			"Binary/42/_history/1, none",
			"DocumentReference/7, none",
			"urn:uuid:0f0e0d0c-0000-4000-8000-000000000001, none"})
	void localBinary(String url, String expected) {
		assertThat(ExamSummaryOperation.localBinary(new Attachment().setUrl(url), "https://fhir.hospital.example/fhir"))
				.isEqualTo(java.util.Optional.ofNullable(expected));
	}
}
