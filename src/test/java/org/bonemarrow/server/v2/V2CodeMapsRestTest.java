package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.hl7v2.util.Terser;
import io.restassured.response.Response;
import java.util.List;
import org.bonemarrow.server.support.FhirServerTest;
import org.hl7.fhir.r4.model.BooleanType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.ConceptMap;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.junit.jupiter.api.Test;

/**
 * Code maps as FHIR ConceptMaps over REST (served, searchable, {@code $translate}), and gap filling from
 * the exam: a minimal SPM for an order whose Procedure the collecting service has documented.
 */
@FhirServerTest
class V2CodeMapsRestTest extends V2TestBase {

	private static final String MAP_0487 = V2Properties.STANDARD_0487;
	private static final String ACME_MAP = "https://lab.acme-hospital.example/fhir/ConceptMap/acme-lis-bone-marrow";

	@Test
	void standardAndSenderMapsAreServedAndSearchable() {
		for (String url : List.of(MAP_0487, V2Properties.STANDARD_0488, V2Properties.STANDARD_0550, ACME_MAP)) {
			List<ConceptMap> found = search(ConceptMap.class, "url=" + url);
			assertThat(found).as(url).hasSize(1);
			assertThat(found.get(0).getUrl()).isEqualTo(url);
		}
	}

	@Test
	void translateAnswersWithTheMapsTarget() {
		Parameters out = translate(MAP_0487, "http://terminology.hl7.org/CodeSystem/v2-0487", "ASP");
		assertThat(((BooleanType) out.getParameter("result").getValue()).booleanValue()).isTrue();
		Coding concept = (Coding) out.getParameter().stream().filter(p -> p.getName().equals("match")).findFirst()
				.orElseThrow().getPart().stream().filter(p -> p.getName().equals("concept")).findFirst().orElseThrow().getValue();
		assertThat(concept.getSystem()).isEqualTo("http://snomed.info/sct");
		assertThat(concept.getCode()).isEqualTo("396997002");

		Parameters local = translate(ACME_MAP, V2Codes.localSystem("ACME-LIS", "99ACME"), "CELL");
		assertThat(((BooleanType) local.getParameter("result").getValue()).booleanValue()).isTrue();

		Parameters unmapped = translate(MAP_0487, "http://terminology.hl7.org/CodeSystem/v2-0487", "MAR");
		assertThat(((BooleanType) unmapped.getParameter("result").getValue()).booleanValue()).isFalse();
	}

	private Parameters translate(String url, String system, String code) {
		Response r = fhir().queryParam("url", url).queryParam("system", system).queryParam("code", code)
				.get("/ConceptMap/$translate");
		r.then().statusCode(200);
		return parse(r, Parameters.class);
	}

	@Test
	void aMapChangedOverFhirIsUsedFromTheNextMessage() throws Exception {
		String suffix = V2Samples.newSuffix();
		assertAa(send(Transport.HTTP, "ehr", V2Samples.unique("orm-o01-new-order.hl7", suffix)));
		String code = "BMT" + suffix;
		String message = V2Samples.unique("local-code-without-map.invalid.hl7", suffix).replace("BMXYZ", code);

		Terser refused = ack(send(Transport.HTTP, "lab", "ACME-LIS", message));
		assertThat(refused.get("/MSA-1")).isEqualTo("AE");
		assertThat(refused.get("/ERR-2-1") + "-" + refused.get("/ERR-2-3")).isEqualTo("SPM-4");

		// The laboratory's interface analyst adds the code to its map over FHIR (additive: other tests keep theirs).
		ConceptMap map = search(ConceptMap.class, "url=" + ACME_MAP).get(0);
		map.getGroup().stream().filter(g -> g.getTarget().equals("http://snomed.info/sct")).findFirst().orElseThrow()
				.addElement().setCode(code).addTarget().setCode("119359002")
				.setEquivalence(org.hl7.fhir.r4.model.Enumerations.ConceptMapEquivalence.NARROWER);
		fhir().contentType(FHIR_JSON).body(json(map)).put("/ConceptMap/" + map.getIdElement().getIdPart()).then().statusCode(200);

		assertAa(send(Transport.HTTP, "lab", "ACME-LIS", message.replace("MSG-V2-0202", "MSG-V2-0202B")));
	}

	@Test
	void minimalSpecimenIsFilledFromTheDocumentedProcedureWithAProvenance() throws Exception {
		String suffix = V2Samples.newSuffix();
		assertAa(send(Transport.HTTP, "ehr", V2Samples.unique("orm-o01-new-order.hl7", suffix)));
		ServiceRequest order = byIdentifier(ServiceRequest.class, V2Codes.PLACER_SYSTEM, V2Samples.id("PO-V2-0001", suffix)).get(0);
		String orderId = order.getIdElement().toUnqualifiedVersionless().getValue();
		Procedure procedure = search(Procedure.class, "based-on=" + orderId).get(0);
		// The collecting service documents where and when it took the marrow (FHIR, as the EHR would).
		procedure.setStatus(Procedure.ProcedureStatus.INPROGRESS);
		procedure.addBodySite(new CodeableConcept(new Coding("http://terminology.hl7.org/CodeSystem/v2-0550", "ILCR", "Iliac Crest")));
		procedure.setPerformed(new DateTimeType("2025-02-17T11:30:00+01:00"));
		fhir().contentType(FHIR_JSON).body(json(procedure)).put("/" + procedure.getIdElement().toUnqualifiedVersionless().getValue())
				.then().statusCode(200);
		String procedureId = procedure.getIdElement().toUnqualifiedVersionless().getValue();

		String ack = send(Transport.MLLP, "lab", V2Samples.unique("minimal-specimen-without-exam-site.invalid.hl7", suffix));

		assertAa(ack);
		DiagnosticReport report = byIdentifier(DiagnosticReport.class, V2Codes.FILLER_SYSTEM, V2Samples.id("FO-V2-0001", suffix)).get(0);
		Specimen specimen = parse(fhir().get("/" + report.getSpecimenFirstRep().getReference()), Specimen.class);
		assertThat(specimen.getCollection().getMethod().getCoding()).extracting(Coding::getCode).containsExactly("129316008");
		assertThat(specimen.getCollection().getBodySite().getCoding()).extracting(Coding::getCode).containsExactly("ILCR");
		assertThat(specimen.getCollection().getCollectedDateTimeType().getValueAsString()).isEqualTo("2025-02-17T11:30:00+01:00");

		String specimenId = specimen.getIdElement().toUnqualifiedVersionless().getValue();
		List<Provenance> provenances = search(Provenance.class, "target=" + specimenId);
		assertThat(provenances).hasSize(1);
		Provenance p = provenances.get(0);
		assertThat(p.getEntity()).extracting(e -> e.getWhat().getReference()).contains(procedureId, orderId);
		assertThat(p.getEntity()).allSatisfy(e -> assertThat(e.getRole()).isEqualTo(Provenance.ProvenanceEntityRole.SOURCE));
		assertThat(p.getReasonFirstRep().getText())
				.contains("SPM-7 collection method", "SPM-8 body site from " + procedureId, "SPM-17 collection time from " + procedureId);
	}
}
