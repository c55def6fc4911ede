package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.hl7v2.AcknowledgmentCode;
import org.bonemarrow.server.security.CallerIdentity;
import org.bonemarrow.server.security.SmartScopes;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.junit.jupiter.api.Test;

/** The small decisions of the gateway, without a server: who may send what, and which report versions go out. */
class V2RulesTest {

	private static CallerIdentity caller(String scopes) {
		return new CallerIdentity("c", SmartScopes.parse(scopes));
	}

	@Test
	void ordersNeedPatientAndServiceRequestCreateAndUpdate() {
		V2Authorization.require(caller("system/Patient.cru system/ServiceRequest.cru"), "ORM^O01", V2Authorization.ORDER);
		assertThatThrownBy(() -> V2Authorization.require(caller("system/Patient.cru system/ServiceRequest.rs"), "ORM^O01",
				V2Authorization.ORDER))
				.isInstanceOfSatisfying(V2Rejection.class, r -> {
					assertThat(r.acknowledgment()).isEqualTo(AcknowledgmentCode.AR);
					assertThat(r.userMessage()).endsWith("lacks the SMART scopes system/ServiceRequest.cu");
				});
	}

	@Test
	void resultsNeedReportObservationAndSpecimenCreate() {
		V2Authorization.require(caller("system/DiagnosticReport.c system/Observation.c system/Specimen.c"), "ORU^R01",
				V2Authorization.RESULT);
		assertThatThrownBy(() -> V2Authorization.require(caller("system/*.rs"), "ORU^R01", V2Authorization.RESULT))
				.isInstanceOf(V2Rejection.class)
				.hasMessageContaining("system/DiagnosticReport.c system/Observation.c system/Specimen.c");
	}

	@Test
	void aReportGoesOutWhenItsStatusChangesOrItIsCorrectedAgain() {
		assertThat(V2ResultPublisher.worthSending(null, report(DiagnosticReportStatus.FINAL))).isTrue();
		assertThat(V2ResultPublisher.worthSending(report(DiagnosticReportStatus.PRELIMINARY), report(DiagnosticReportStatus.FINAL))).isTrue();
		assertThat(V2ResultPublisher.worthSending(report(DiagnosticReportStatus.FINAL), report(DiagnosticReportStatus.FINAL))).isFalse();
		assertThat(V2ResultPublisher.worthSending(report(DiagnosticReportStatus.FINAL), report(DiagnosticReportStatus.CORRECTED))).isTrue();
		assertThat(V2ResultPublisher.worthSending(report(DiagnosticReportStatus.CORRECTED), report(DiagnosticReportStatus.CORRECTED))).isTrue();
	}

	@Test
	void aFinalReportGoesOutAgainWhenItsSignedPdfArrives_butNotForTheSamePdfAgain() {
		DiagnosticReport withPdf = report(DiagnosticReportStatus.FINAL);
		withPdf.addPresentedForm().setContentType("application/pdf").setData(new byte[] {'%', 'P', 'D', 'F', '-'});
		DiagnosticReport samePdf = report(DiagnosticReportStatus.FINAL);
		samePdf.addPresentedForm().setContentType("application/pdf").setData(new byte[] {'%', 'P', 'D', 'F', '-'});
		assertThat(V2ResultPublisher.worthSending(report(DiagnosticReportStatus.FINAL), withPdf)).isTrue();
		assertThat(V2ResultPublisher.worthSending(withPdf, samePdf)).isFalse();
		assertThat(V2ResultPublisher.worthSending(withPdf, report(DiagnosticReportStatus.FINAL))).as("PDF withdrawn").isTrue();
	}

	@Test
	void onlyBoneMarrowReportsGoOut() {
		DiagnosticReport other = report(DiagnosticReportStatus.FINAL);
		other.getCode().addCoding().setSystem("http://loinc.org").setCode("58410-2");
		assertThat(V2ResultPublisher.isBoneMarrowReport(other)).isFalse();
		DiagnosticReport ours = report(DiagnosticReportStatus.FINAL);
		ours.getCode().addCoding().setSystem("http://loinc.org").setCode("48807-2");
		assertThat(V2ResultPublisher.isBoneMarrowReport(ours)).isTrue();
	}

	@Test
	void datesKeepTheirPrecisionBothWays() {
		assertThat(V2Dates.dateTime("20250217113000+0100", "OBR", 7).getValueAsString()).isEqualTo("2025-02-17T11:30:00+01:00");
		assertThat(V2Dates.dateTime("202502171130-0500", "OBR", 7).getValueAsString()).isEqualTo("2025-02-17T11:30:00-05:00");
		assertThat(V2Dates.dateTime("20250217", "OBR", 7).getValueAsString()).isEqualTo("2025-02-17");
		assertThat(V2Dates.date("19610412", "PID", 7).getValueAsString()).isEqualTo("1961-04-12");
		assertThat(V2Dates.dtm(new org.hl7.fhir.r4.model.DateTimeType("2025-02-17T11:30:00+01:00"))).isEqualTo("20250217113000+0100");
		assertThat(V2Dates.dtm(new org.hl7.fhir.r4.model.DateType("1961-04-12"))).isEqualTo("19610412");
	}

	@Test
	void segmentsMayBeSeparatedByLineFeedsInFilesAndHttpBodies() {
		assertThat(V2InboundProcessor.normalise("MSH|a\r\nPID|b\nOBR|c\n")).isEqualTo("MSH|a\rPID|b\rOBR|c");
	}

	private static DiagnosticReport report(DiagnosticReportStatus status) {
		return new DiagnosticReport().setStatus(status);
	}
}
