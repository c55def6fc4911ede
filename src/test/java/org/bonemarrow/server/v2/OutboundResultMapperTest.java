package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.util.Terser;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bonemarrow.server.support.SampleBundles;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.junit.jupiter.api.Test;

/**
 * A stored report as ORU^R01, without a server: the fields a receiver reads, and the round trip (what the
 * outbound mapper writes, the inbound mapper reads back to the same findings).
 */
class OutboundResultMapperTest {

	private static final HapiContext HAPI = V2Hapi.parsingContext();

	/** The exam of a sample bundle as stored: ids instead of urn:uuid, findings the gateway maps. */
	private static OutboundResultMapper.OutboundResult stored(String sample) {
		Bundle b = SampleBundles.unique(sample, "T4");
		Map<String, Resource> byUrl = new HashMap<>();
		int n = 0;
		for (Bundle.BundleEntryComponent e : b.getEntry()) {
			Resource r = e.getResource();
			r.setId(r.fhirType() + "/" + (++n));
			byUrl.put(e.getFullUrl(), r);
		}
		DiagnosticReport report = b.getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
				.filter(DiagnosticReport.class::isInstance).map(DiagnosticReport.class::cast).findFirst().orElseThrow();
		List<Observation> findings = new ArrayList<>();
		for (Reference ref : report.getResult()) {
			Observation o = (Observation) byUrl.get(ref.getReference());
			if (ResultMessageMapper.profileOf(o.getCode()) != null) {
				findings.add(o);
			}
		}
		List<Specimen> specimens = report.getSpecimen().stream().map(r -> (Specimen) byUrl.get(r.getReference())).toList();
		return new OutboundResultMapper.OutboundResult(report, findings, (Patient) byUrl.get(report.getSubject().getReference()),
				(ServiceRequest) byUrl.get(report.getBasedOnFirstRep().getReference()), specimens);
	}

	private static ORU_R01 oru(OutboundResultMapper.OutboundResult r) {
		return OutboundResultMapper.toOru(r, new OutboundResultMapper.Addressing("BONEMARROW-FHIR", "BONEMARROW", "WARD-LIS",
				"WARD", "BM-TEST-1"), HAPI);
	}

	@Test
	void theReceiverGetsPatientOrderReportFindingsAndSpecimens() throws Exception {
		OutboundResultMapper.OutboundResult stored = stored("exam-suspected-leukaemia.json");
		String er7 = OutboundResultMapper.encode(oru(stored));
		Terser t = new Terser(HAPI.getPipeParser().parse(er7));

		assertThat(t.get("/MSH-9-1")).isEqualTo("ORU");
		assertThat(t.get("/MSH-9-3")).isEqualTo("ORU_R01");
		assertThat(t.get("/MSH-10")).isEqualTo("BM-TEST-1");
		assertThat(t.get("/MSH-12")).isEqualTo("2.5.1");
		assertThat(t.get("/MSH-5-1")).isEqualTo("WARD-LIS");
		assertThat(t.get("/.PID-3-1")).isEqualTo("MRN-EX-1001-T4");
		assertThat(t.get("/.PID-5-1")).isEqualTo("Example-Fictional");
		assertThat(t.get("/.PID-7")).isEqualTo("19610412");
		assertThat(t.get("/.PID-8")).isEqualTo("F");
		assertThat(t.get("/.ORC-1")).isEqualTo("RE");
		assertThat(t.get("/.OBR-2-1")).isEqualTo("PO-EX-2025-0001-T4");
		assertThat(t.get("/.OBR-4-1")).isEqualTo("33721-2");
		assertThat(t.get("/.OBR-7")).isEqualTo("20250203101500+0100");
		assertThat(t.get("/.OBR-24")).isEqualTo("HM");
		assertThat(t.get("/.OBR-25")).isEqualTo("F");
		assertThat(t.get("/PATIENT_RESULT/ORDER_OBSERVATION/NTE-3")).isEqualTo(stored.report().getConclusion());
		assertThat(er7).contains("|SN|11138-5^").contains("^1.2^:^1|");
		assertThat(t.get("/.SPM-4-1")).isEqualTo("396997002");
		assertThat(t.get("/.SPM-4-4")).isEqualTo("MAR");
		assertThat(t.get("/.SPM-4-6")).isEqualTo("HL70487");
	}

	@Test
	void whatGoesOutComesBackInAsTheSameFindings() {
		OutboundResultMapper.OutboundResult stored = stored("exam-suspected-leukaemia.json");
		stored.observations().get(0).addNote().setText("Reviewed with the second reader.\nNo change.");
		ORU_R01 parsed = (ORU_R01) V2Samples.parse(OutboundResultMapper.encode(oru(stored)));

		Bundle back = ResultMessageMapper.transaction(parsed,
				List.of(new ResultMessageMapper.OrderLink("ServiceRequest/1", "Patient/1")));

		DiagnosticReport report = ResultMessageMapperTest.resources(back, DiagnosticReport.class).get(0);
		assertThat(report.getStatus()).isEqualTo(stored.report().getStatus());
		assertThat(report.getCode().getCodingFirstRep().getCode()).isEqualTo("33721-2");
		assertThat(report.getConclusion()).isEqualTo(stored.report().getConclusion());
		assertThat(report.getEffectiveDateTimeType().getValueAsString())
				.isEqualTo(stored.report().getEffectiveDateTimeType().getValueAsString());

		List<Observation> observations = ResultMessageMapperTest.resources(back, Observation.class);
		assertThat(observations).hasSameSizeAs(stored.observations());
		for (Observation out : stored.observations()) {
			Observation in = ResultMessageMapperTest.byCode(observations, out.getCode().getCodingFirstRep().getCode());
			assertThat(in.getStatus()).isEqualTo(out.getStatus());
			assertThat(in.getComponent()).hasSameSizeAs(out.getComponent());
			assertThat(in.getNote()).extracting(n -> n.getText()).isEqualTo(out.getNote().stream().map(n -> n.getText()).toList());
			if (out.hasValue()) {
				assertThat(in.getValue().equalsDeep(out.getValue()))
						.as("value of %s: %s", out.getCode().getCodingFirstRep().getCode(), in.getValue()).isTrue();
			}
			for (int i = 0; i < out.getComponent().size(); i++) {
				assertThat(in.getComponent().get(i).getValue().equalsDeep(out.getComponent().get(i).getValue())).isTrue();
			}
		}
		List<Specimen> specimens = ResultMessageMapperTest.resources(back, Specimen.class);
		assertThat(specimens).hasSize(2);
		assertThat(specimens.get(0).getType().getCodingFirstRep().getCode()).isEqualTo("396997002");
		assertThat(specimens.get(0).getIdentifierFirstRep().getValue()).isEqualTo("PO-EX-2025-0001-A-T4");
	}
}
