package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.model.v251.segment.OBX;
import ca.uhn.hl7v2.util.Terser;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.awaitility.Awaitility;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.Binary;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.Test;

/**
 * Issue 18, "a PDF report reaches the orderer over v2": the laboratory's signed PDF, sent in an OBX of type ED,
 * is stored as the report's presentedForm with exactly its bytes, and the ORU^R01 the test LIS receives
 * carries it back as an ED OBX that is still that PDF (read with PDFBox), with OBR-16 naming the orderer. The
 * same for a report posted over FHIR whose presentedForm points at a Binary stored here and whose order's
 * requester is a PractitionerRole (US Core): the Binary goes out inline, the role's Practitioner in OBR-16.
 */
@FhirServerTest
class V2PdfReportTest extends V2TestBase {

	private static final String PDF_TEXT = "Bone marrow examination report";

	@Test
	void theLaboratorysPdfIsStoredAsSentAndReachesTheOrdererAsTheSamePdf() throws Exception {
		String suffix = V2Samples.newSuffix();
		assertAa(send(Transport.MLLP, "ehr", V2Samples.unique("orm-o01-new-order.hl7", suffix)));
		assertAa(send(Transport.HTTP, "lab", V2Samples.unique("oru-r01-pdf-report.hl7", suffix)));

		List<DiagnosticReport> reports = byIdentifier(DiagnosticReport.class, V2Codes.FILLER_SYSTEM, V2Samples.id("FO-V2-0020", suffix));
		assertThat(reports).hasSize(1);
		Attachment stored = reports.get(0).getPresentedFormFirstRep();
		assertThat(stored.getContentType()).isEqualTo("application/pdf");
		assertThat(stored.getData()).as("the stored PDF is the laboratory's, byte for byte").isEqualTo(ReportDocumentMappingTest.pdf());
		assertThat(reports.get(0).getResult()).as("the PDF is no Observation").hasSize(4);

		ORU_R01 delivered = delivered(V2Samples.id("PO-V2-0001", suffix));
		List<OBX> documents = obx(delivered, "ED");
		assertThat(documents).hasSize(1);
		byte[] sent = Base64.getDecoder().decode(new Terser(delivered).get(documents.get(0), 5, 0, 5, 1));
		assertThat(sent).isEqualTo(ReportDocumentMappingTest.pdf());
		assertThat(pdfText(sent)).contains(PDF_TEXT);
		Terser t = new Terser(delivered);
		assertThat(t.get("/.OBR-16-1")).as("OBR-16: the orderer of ORC-12 of the order").isEqualTo("PRAC-V2-ORD-01");
		assertThat(t.get("/.OBR-16-2")).isEqualTo("Ordering");
		assertThat(t.get("/.OBR-16-3")).isEqualTo("Hana");
		assertThat(t.get("/.ORC-12-1")).isEqualTo("PRAC-V2-ORD-01");
	}

	@Test
	void aFhirReportsBinaryGoesOutInline_aLinkAsRp_andThePractitionerRoleRequesterIsFollowed() throws Exception {
		String mrn = Fixtures.unique("MRN-PDF");
		String placer = Fixtures.unique("PO-PDF");
		String npi = "1" + String.format("%09d", Math.abs(placer.hashCode()) % 1_000_000_000);

		Practitioner doctor = new Practitioner();
		doctor.addIdentifier().setSystem(OutboundResultMapper.NPI).setValue(npi);
		doctor.addName().setFamily("Requester").addGiven("Rita").addPrefix("Dr");
		String doctorId = create(doctor);
		PractitionerRole role = new PractitionerRole().setPractitioner(new Reference(doctorId));
		String roleId = create(role);

		Binary pdf = new Binary().setContentType("application/pdf");
		pdf.setData(ReportDocumentMappingTest.pdf());
		String binaryId = create(pdf);
		// A Binary of someone else (securityContext another patient) must not leave with this report.
		String otherPatient = create(Fixtures.patient(Fixtures.unique("MRN-OTHER")));
		Binary foreign = new Binary().setContentType("application/pdf").setSecurityContext(new Reference(otherPatient));
		foreign.setData(ReportDocumentMappingTest.pdf());
		String foreignId = create(foreign);

		Bundle tx = Fixtures.examTransaction(mrn, placer);
		for (Bundle.BundleEntryComponent e : tx.getEntry()) {
			if (e.getResource() instanceof ServiceRequest order) {
				order.setRequester(new Reference(roleId));
			}
			if (e.getResource() instanceof DiagnosticReport report) {
				report.addPresentedForm().setContentType("application/pdf").setUrl(binaryId).setTitle("Signed report");
				report.addPresentedForm().setContentType("application/pdf").setUrl(foreignId);
				report.addPresentedForm().setContentType("application/pdf").setUrl("https://docs.haem-lab.example/r/" + placer + ".pdf");
			}
		}
		fhir().body(json(tx)).post("").then().statusCode(200);

		ORU_R01 delivered = delivered(placer);
		Terser t = new Terser(delivered);
		List<OBX> inline = obx(delivered, "ED");
		assertThat(inline).as("the Binary of this server, inline; the other patient's Binary left out").hasSize(1);
		assertThat(inline.get(0).getObservationIdentifier().getText().getValue()).isEqualTo("Signed report");
		byte[] sent = Base64.getDecoder().decode(t.get(inline.get(0), 5, 0, 5, 1));
		assertThat(sent).isEqualTo(ReportDocumentMappingTest.pdf());
		assertThat(pdfText(sent)).contains(PDF_TEXT);
		List<OBX> links = obx(delivered, "RP");
		assertThat(links).hasSize(1);
		assertThat(t.get(links.get(0), 5, 0, 1, 1)).isEqualTo("https://docs.haem-lab.example/r/" + placer + ".pdf");

		assertThat(t.get("/.OBR-16-1")).as("the NPI of the PractitionerRole's practitioner").isEqualTo(npi);
		assertThat(t.get("/.OBR-16-2")).isEqualTo("Requester");
		assertThat(t.get("/.OBR-16-3")).isEqualTo("Rita");
		assertThat(t.get("/.OBR-16-13")).isEqualTo("NPI");
		assertThat(t.get("/.ORC-12-1")).isEqualTo(npi);
	}

	/** The last ORU^R01 the test LIS received for this text (a placer number), parsed. */
	private ORU_R01 delivered(String text) throws Exception {
		List<String> messages = Awaitility.await("ORU^R01 delivered for " + text).atMost(Duration.ofSeconds(30))
				.pollInterval(Duration.ofMillis(200))
				.until(() -> TestMllpReceiver.shared().containing(text), list -> !list.isEmpty());
		return (ORU_R01) V2Hapi.parsingContext().getPipeParser().parse(messages.get(messages.size() - 1));
	}

	private static List<OBX> obx(ORU_R01 oru, String valueType) throws Exception {
		List<OBX> out = new ArrayList<>();
		for (var group : oru.getPATIENT_RESULT().getORDER_OBSERVATION().getOBSERVATIONAll()) {
			if (valueType.equals(group.getOBX().getValueType().getValue())) {
				out.add(group.getOBX());
			}
		}
		return out;
	}

	private static String pdfText(byte[] pdf) throws IOException {
		try (PDDocument document = Loader.loadPDF(pdf)) {
			return new PDFTextStripper().getText(document);
		}
	}
}
