package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import java.util.List;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Ratio;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Specimen;
import org.junit.jupiter.api.Test;

/** ORU^R01 to FHIR, without a server. */
class ResultMessageMapperTest {

	private static final String S = "T2";
	private static final List<ResultMessageMapper.OrderLink> LINK =
			List.of(new ResultMessageMapper.OrderLink("ServiceRequest/10", "Patient/9"));

	private static ORU_R01 oru(String file) {
		return (ORU_R01) V2Samples.parse(V2Samples.unique(file, S));
	}

	@Test
	void keysNameThePatientTheOrderAndTheReport() {
		assertThat(ResultMessageMapper.keys(oru("oru-r01-final-report.hl7")))
				.containsExactly(new ResultMessageMapper.ReportKey("MRN-V2-1001-T2", "PO-V2-0001-T2", "FO-V2-0001-T2"));
	}

	@Test
	void finalReportIsAReportWithItsFindingsAndSpecimensAsAFhirLabWouldPostThem() {
		Bundle tx = ResultMessageMapper.transaction(oru("oru-r01-final-report.hl7"), LINK);

		List<Specimen> specimens = resources(tx, Specimen.class);
		List<Observation> observations = resources(tx, Observation.class);
		List<DiagnosticReport> reports = resources(tx, DiagnosticReport.class);
		assertThat(specimens).hasSize(2);
		assertThat(observations).hasSize(4);
		assertThat(reports).hasSize(1);

		DiagnosticReport r = reports.get(0);
		assertThat(r.getMeta().getProfile().get(0).getValue()).isEqualTo(ResultMessageMapper.REPORT_PROFILE);
		assertThat(r.getStatus()).isEqualTo(DiagnosticReport.DiagnosticReportStatus.FINAL);
		assertThat(r.getBasedOnFirstRep().getReference()).isEqualTo("ServiceRequest/10");
		assertThat(r.getSubject().getReference()).isEqualTo("Patient/9");
		assertThat(r.getCode().getCodingFirstRep().getCode()).isEqualTo("33721-2");
		assertThat(r.getCategoryFirstRep().getCodingFirstRep().getCode()).isEqualTo("HM");
		assertThat(r.getEffectiveDateTimeType().getValueAsString()).isEqualTo("2025-02-17T11:30:00+01:00");
		assertThat(r.getIssued()).isNotNull();
		assertThat(r.getConclusion()).isEqualTo("Acute myeloid leukaemia (62% blasts).");
		assertThat(r.getIdentifierFirstRep().getValue()).isEqualTo("FO-V2-0001-T2");
		assertThat(r.getPerformerFirstRep().getDisplay()).isEqualTo("Dr Ines Slide");
		assertThat(r.getSpecimen()).hasSize(2);
		assertThat(r.getResult()).hasSize(4);
		Bundle.BundleEntryComponent reportEntry = entry(tx, r);
		assertThat(reportEntry.getRequest().getMethod()).isEqualTo(Bundle.HTTPVerb.PUT);
		assertThat(reportEntry.getRequest().getUrl())
				.isEqualTo("DiagnosticReport?identifier=https://bonemarrow-exam.example/fhir/sid/filler-order|FO-V2-0001-T2");

		Observation cellularity = byCode(observations, "74232-0");
		assertThat(cellularity.getMeta().getProfile().get(0).getValue()).endsWith("bme-cellularity");
		assertThat(cellularity.getValueStringType().getValue()).startsWith("Hypercellular");
		assertThat(cellularity.getCategoryFirstRep().getCodingFirstRep().getCode()).isEqualTo("laboratory");
		assertThat(cellularity.getSpecimen().getReference()).isEqualTo(entry(tx, specimens.get(0)).getFullUrl());

		Observation blasts = byCode(observations, "74233-8");
		assertThat(blasts.getMeta().getProfile().get(0).getValue()).endsWith("bme-blast-percentage");
		assertThat(blasts.getComponent()).hasSize(1);
		assertThat(blasts.getComponentFirstRep().getCode().getText()).isEqualTo("Blasts / 100 nucleated cells (aspirate differential)");
		Quantity percent = blasts.getComponentFirstRep().getValueQuantity();
		assertThat(percent.getValue()).isEqualByComparingTo("62");
		assertThat(percent.getSystem()).isEqualTo("http://unitsofmeasure.org");
		assertThat(percent.getCode()).isEqualTo("%");

		Observation me = byCode(observations, "11138-5");
		Ratio ratio = me.getValueRatio();
		assertThat(ratio.getNumerator().getValue()).isEqualByComparingTo("1.2");
		assertThat(ratio.getDenominator().getValue()).isEqualByComparingTo("1");

		Observation interpretation = byCode(observations, "marrow-interpretation");
		assertThat(interpretation.getValueStringType().getValue())
				.isEqualTo("Acute myeloid leukaemia.\nClassification to follow cytogenetic and molecular results.");
		assertThat(observations).allSatisfy(o -> {
			assertThat(o.getStatus()).isEqualTo(Observation.ObservationStatus.FINAL);
			assertThat(o.getBasedOnFirstRep().getReference()).isEqualTo("ServiceRequest/10");
			assertThat(entry(tx, o).getRequest().getUrl()).startsWith("Observation?identifier=");
		});

		Specimen aspirate = specimens.get(0);
		assertThat(aspirate.getMeta().getProfile().get(0).getValue()).isEqualTo(ResultMessageMapper.SPECIMEN_PROFILE);
		assertThat(aspirate.getType().getCoding()).extracting(c -> c.getCode()).containsExactly("396997002", "MAR");
		assertThat(aspirate.getCollection().getMethod().getCodingFirstRep().getCode()).isEqualTo("129316008");
		assertThat(aspirate.getCollection().getBodySite().getCodingFirstRep().getCode()).isEqualTo("ILCR");
		assertThat(aspirate.getCollection().getBodySite().getExtension()).extracting(Extension::getUrl)
				.containsOnly(ResultMessageMapper.QUALIFIER_EXTENSION).hasSize(2);
		assertThat(aspirate.getCollection().getCollectedDateTimeType().getValueAsString()).isEqualTo("2025-02-17T11:30:00+01:00");
		assertThat(aspirate.getRequestFirstRep().getReference()).isEqualTo("ServiceRequest/10");
		assertThat(aspirate.getStatus()).isEqualTo(Specimen.SpecimenStatus.AVAILABLE);
		assertThat(entry(tx, aspirate).getRequest().getIfNoneExist())
				.isEqualTo("identifier=https://bonemarrow-exam.example/fhir/sid/specimen|SP-V2-0001-A-T2");
		assertThat(specimens.get(1).getType().getText()).isEqualTo("Bone marrow trephine core biopsy");
	}

	@Test
	void correctedReportIsCorrected() {
		Bundle tx = ResultMessageMapper.transaction(oru("oru-r01-corrected-report.hl7"), LINK);
		assertThat(resources(tx, DiagnosticReport.class).get(0).getStatus()).isEqualTo(DiagnosticReport.DiagnosticReportStatus.CORRECTED);
		assertThat(byCode(resources(tx, Observation.class), "11138-5").getStatus()).isEqualTo(Observation.ObservationStatus.CORRECTED);
	}

	@Test
	void anUnrecognisedLineIsStoredAsSent_withAWarning_andItsTextLinesAndCommentsKept() {
		ResultMessageMapper.Mapped mapped = ResultMessageMapper.map(oru("oru-r01-narrative-lines.hl7"), LINK, CodeTranslator.NONE);
		List<Observation> observations = resources(mapped.transaction(), Observation.class);
		assertThat(observations).hasSize(3);
		Observation plain = observations.stream().filter(o -> !o.getMeta().hasProfile()).findFirst().orElseThrow();
		assertThat(plain.getCode().getText()).isEqualTo("Interpretation");
		assertThat(plain.getCode().hasCoding()).isFalse();
		// Two OBX with the same OBX-3, one line each: one result holding both lines.
		assertThat(plain.getValueStringType().getValue())
				.isEqualTo("Acute myeloid leukaemia.\nClassification to follow cytogenetic and molecular results.");
		assertThat(plain.getCategoryFirstRep().getCodingFirstRep().getCode()).isEqualTo("laboratory");
		assertThat(plain.getIdentifierFirstRep().getValue()).isEqualTo("FO-V2-0010-T2-text-interpretation");
		assertThat(byCode(observations, "74232-0").getNoteFirstRep().getText())
				.isEqualTo("Trephine core 18 mm, adequate for assessment.");
		assertThat(mapped.warnings()).singleElement().satisfies(w -> {
			assertThat(w.code()).isEqualTo(ErrorCode.TABLE_VALUE_NOT_FOUND);
			assertThat(w.segment()).isEqualTo("OBX");
			assertThat(w.sequence()).isEqualTo(3);
			assertThat(w.field()).isEqualTo(3);
			assertThat(w.userMessage()).contains("'^Interpretation'").doesNotContain("leukaemia");
		});
	}

	@Test
	void differentialRowsBecomeOneDifferentialCount() {
		ResultMessageMapper.Mapped mapped = ResultMessageMapper.map(oru("oru-r01-differential-rows.hl7"), LINK, CodeTranslator.NONE);
		List<Observation> observations = resources(mapped.transaction(), Observation.class);
		assertThat(observations).hasSize(2);
		Observation differential = byCode(observations, "marrow-differential");
		assertThat(differential.getMeta().getProfile().get(0).getValue()).isEqualTo(ResultMessageMapper.DIFFERENTIAL_PROFILE);
		assertThat(differential.hasValue()).isFalse();
		assertThat(differential.getComponent()).extracting(c -> c.getCode().hasCoding() ? c.getCode().getCodingFirstRep().getCode() : c.getCode().getText())
				.containsExactly("Blasts", "11108-8", "40689-2", "Plasma cells");
		assertThat(differential.getComponent().get(2).getValueQuantity().getValue()).isEqualByComparingTo("25");
		assertThat(differential.getNoteFirstRep().getText()).isEqualTo("Plasma cells morphologically normal.");
		assertThat(mapped.warnings()).isEmpty();
	}

	@Test
	void oneObrPerSpecimenUnderOneFillerNumberIsOneReport() {
		Bundle tx = ResultMessageMapper.transaction(oru("oru-r01-obr-per-specimen.hl7"), LINK);
		assertThat(ResultMessageMapper.keys(oru("oru-r01-obr-per-specimen.hl7"))).hasSize(1);
		DiagnosticReport report = resources(tx, DiagnosticReport.class).get(0);
		assertThat(resources(tx, DiagnosticReport.class)).hasSize(1);
		assertThat(report.getSpecimen()).hasSize(2);
		List<Observation> observations = resources(tx, Observation.class);
		assertThat(byCode(observations, "74233-8").getSpecimen().getReference()).isEqualTo(report.getSpecimen().get(0).getReference());
		assertThat(byCode(observations, "74232-0").getSpecimen().getReference()).isEqualTo(report.getSpecimen().get(1).getReference());
	}

	@Test
	void twoObrUnderOneFillerNumberForDifferentOrdersAreRefused() {
		String other = V2Samples.unique("oru-r01-obr-per-specimen.hl7", S).replaceFirst("(\\rOBR\\|2\\|)PO-V2-0001-T2", "$1PO-V2-0099-T2");
		assertThatThrownBy(() -> ResultMessageMapper.keys((ORU_R01) V2Samples.parse(other)))
				.isInstanceOfSatisfying(V2Rejection.class, r -> {
					assertThat(r.errorCode()).isEqualTo(ErrorCode.DUPLICATE_KEY_IDENTIFIER);
					assertThat(r.segment()).isEqualTo("OBR");
					assertThat(r.field()).isEqualTo(3);
				});
	}

	@Test
	void aReportWithoutSpecimensOrFillerNumberIsRefused() {
		String noSpm = V2Samples.unique("oru-r01-final-report.hl7", S).replaceAll("\rSPM\\|[^\r]*", "");
		assertThatThrownBy(() -> ResultMessageMapper.transaction((ORU_R01) V2Samples.parse(noSpm), LINK))
				.isInstanceOfSatisfying(V2Rejection.class, r -> assertThat(r.segment()).isEqualTo("SPM"));
		String noFiller = V2Samples.unique("oru-r01-final-report.hl7", S).replace("FO-V2-0001-T2^LAB-APP", "");
		assertThatThrownBy(() -> ResultMessageMapper.keys((ORU_R01) V2Samples.parse(noFiller)))
				.isInstanceOfSatisfying(V2Rejection.class, r -> {
					assertThat(r.errorCode()).isEqualTo(ErrorCode.REQUIRED_FIELD_MISSING);
					assertThat(r.field()).isEqualTo(3);
				});
	}

	static <T> List<T> resources(Bundle b, Class<T> type) {
		return b.getEntry().stream().map(Bundle.BundleEntryComponent::getResource).filter(type::isInstance).map(type::cast).toList();
	}

	static Bundle.BundleEntryComponent entry(Bundle b, Object resource) {
		return b.getEntry().stream().filter(e -> e.getResource() == resource).findFirst().orElseThrow();
	}

	static Observation byCode(List<Observation> observations, String code) {
		return observations.stream().filter(o -> o.getCode().getCodingFirstRep().getCode().equals(code)).findFirst().orElseThrow();
	}

	static Reference ref(String r) {
		return new Reference(r);
	}
}
