package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import ca.uhn.hl7v2.util.Terser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.PractitionerRole;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The report as a document (the signed PDF) over HL7 v2, without a server: OBX-2 ED and RP in as
 * DiagnosticReport.presentedForm (as real laboratories fill ED-2..ED-4), refused with AE at OBX-5 when it
 * cannot be read; presentedForm out as OBX ED/RP after the results; and the orderer in ORC-12/OBR-16.
 */
class ReportDocumentMappingTest {

	private static final String S = "T18";
	private static final HapiContext HAPI = V2Hapi.parsingContext();
	private static final List<ResultMessageMapper.OrderLink> LINK =
			List.of(new ResultMessageMapper.OrderLink("ServiceRequest/10", "Patient/9"));

	static byte[] pdf() {
		try {
			return Files.readAllBytes(Path.of("sample-bundles/attachments/bone-marrow-report.pdf"));
		} catch (IOException e) {
			throw new IllegalStateException(e);
		}
	}

	private static DiagnosticReport reportOf(String er7) {
		Bundle tx = ResultMessageMapper.transaction((ORU_R01) V2Samples.parse(er7), LINK);
		List<DiagnosticReport> reports = ResultMessageMapperTest.resources(tx, DiagnosticReport.class);
		assertThat(reports).hasSize(1);
		return reports.get(0);
	}

	/** The PDF sample with its ED OBX-5 replaced. */
	private static String withObx5(String obx5) {
		return V2Samples.unique("oru-r01-pdf-report.hl7", S).replaceFirst("(\\rOBX\\|6\\|ED\\|[^|]*\\|\\|)[^|]*", "$1"
				+ java.util.regex.Matcher.quoteReplacement(obx5));
	}

	@Test
	void anEdObxIsThePresentedFormOfItsReport_notAnObservation() {
		Bundle tx = ResultMessageMapper.transaction((ORU_R01) V2Samples.parse(V2Samples.unique("oru-r01-pdf-report.hl7", S)), LINK);

		DiagnosticReport report = ResultMessageMapperTest.resources(tx, DiagnosticReport.class).get(0);
		assertThat(ResultMessageMapperTest.resources(tx, Observation.class)).as("the five findings, no sixth for the PDF")
				.hasSize(4);
		assertThat(report.getResult()).hasSize(4);
		assertThat(report.getPresentedForm()).hasSize(1);
		Attachment a = report.getPresentedFormFirstRep();
		assertThat(a.getContentType()).isEqualTo("application/pdf");
		assertThat(a.getData()).isEqualTo(pdf());
		assertThat(a.getSize()).isEqualTo(pdf().length);
		assertThat(a.getTitle()).isEqualTo("Bone marrow examination report (signed PDF)");
		assertThat(a.getCreationElement().getValueAsString()).isEqualTo("2025-02-18T15:00:00+01:00");
		assertThat(a.getHash()).hasSize(20);
	}

	/** What laboratories send for one PDF in ED-1..ED-4 (the data is ED-5). */
	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = ';', value = {
			"^AP^PDF^Base64^", "^Application^PDF^Base64^", "^application^pdf^Base64^", "^PDF^^Base64^",
			"DiagnosticReport^PDF^^Base64^", "^TEXT^PDF^Base64^", "^application/pdf^^base64^", "^AP^^Base64^",
			"LAB&1.2.3&ISO^AP^PDF^BASE64^"})
	void realWorldSpellingsOfAPdfAreAllAPdf(String head) {
		Attachment a = reportOf(withObx5(head + Base64.getEncoder().encodeToString(pdf()))).getPresentedFormFirstRep();
		assertThat(a.getContentType()).isEqualTo("application/pdf");
		assertThat(a.getData()).isEqualTo(pdf());
	}

	@Test
	void hexEncodingIsDecodedToo() {
		Attachment a = reportOf(withObx5("^AP^PDF^Hex^" + HexFormat.of().formatHex(pdf()).toUpperCase())).getPresentedFormFirstRep();
		assertThat(a.getData()).isEqualTo(pdf());
	}

	@Test
	void otherDocumentsKeepTheirType() {
		byte[] jpeg = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0x00};
		assertThat(reportOf(withObx5("^IM^JPEG^Base64^" + Base64.getEncoder().encodeToString(jpeg))).getPresentedFormFirstRep()
				.getContentType()).isEqualTo("image/jpeg");
		assertThat(V2Attachments.contentType("text", "plain", new byte[] {'a'})).isEqualTo("text/plain");
		assertThat(V2Attachments.contentType("AP", null, new byte[] {1, 2})).isEqualTo("application/octet-stream");
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = ';', value = {
			"not Base64;^AP^PDF^Base64^JVBERi0xLjQK*** not Base64 ***;102;not valid Base64",
			"not hex;^AP^PDF^Hex^25504G;102;not pairs of hex digits",
			"ASCII encoding;^AP^PDF^A^%PDF-1.4;103;encoding (ED-4) 'A' is not supported",
			"no encoding;^AP^PDF^^JVBERi0xLjQK;103;encoding (ED-4) '' is not supported",
			"not a PDF;^AP^PDF^Base64^SGVsbG8gd29ybGQ=;102;does not begin with a PDF header",
			"no data;^AP^PDF^Base64^;101;ED-5 holds no data"})
	void anUnreadableDocumentIsRefusedAtItsObx5(String name, String obx5, int code, String message) {
		assertThatThrownBy(() -> reportOf(withObx5(obx5))).isInstanceOfSatisfying(V2Rejection.class, r -> {
			assertThat(r.errorCode().getCode()).isEqualTo(code);
			assertThat(r.segment()).isEqualTo("OBX");
			assertThat(r.sequence()).as("the sixth OBX of the message").isEqualTo(6);
			assertThat(r.field()).isEqualTo(5);
			assertThat(r.userMessage()).contains(message);
		});
	}

	@Test
	void anRpObxIsAPresentedFormWithTheUrl() {
		Attachment a = reportOf(V2Samples.unique("oru-r01-pdf-report-pointer.hl7", S)).getPresentedFormFirstRep();
		assertThat(a.getUrl()).isEqualTo("https://reports.haem-lab.example/documents/FO-V2-0021-T18.pdf");
		assertThat(a.getContentType()).isEqualTo("application/pdf");
		assertThat(a.hasData()).isFalse();

		String relativeToBase = V2Samples.unique("oru-r01-pdf-report-pointer.hl7", S)
				.replaceFirst("https://reports.haem-lab.example/documents/(FO[^^]*)\\^LAB-APP\\^",
						"$1^LAB-APP&https://reports.haem-lab.example/documents&URI^");
		assertThat(reportOf(relativeToBase).getPresentedFormFirstRep().getUrl())
				.isEqualTo("https://reports.haem-lab.example/documents/FO-V2-0021-T18.pdf");

		assertThatThrownBy(() -> reportOf(V2Samples.unique("pdf-report-relative-pointer.invalid.hl7", S)))
				.isInstanceOfSatisfying(V2Rejection.class, r -> {
					assertThat(r.errorCode()).isEqualTo(ErrorCode.DATA_TYPE_ERROR);
					assertThat(r.field()).isEqualTo(5);
					assertThat(r.userMessage()).contains("not an absolute http(s) URL");
				});
	}

	@Test
	void theAckPointsAtTheOffendingObx() throws Exception {
		String er7 = withObx5("^AP^PDF^Base64^@@@");
		String ack = AckBuilder.error(V2Header.read(er7, HAPI).orElseThrow(), assertRefused(er7));
		Terser t = new Terser(HAPI.getPipeParser().parse(ack));
		assertThat(t.get("/MSA-1")).isEqualTo("AE");
		assertThat(t.get("/ERR-2-1")).isEqualTo("OBX");
		assertThat(t.get("/ERR-2-2")).isEqualTo("6");
		assertThat(t.get("/ERR-2-3")).isEqualTo("5");
		assertThat(t.get("/ERR-3-1")).isEqualTo("102");
	}

	private static V2Rejection assertRefused(String er7) {
		try {
			reportOf(er7);
		} catch (V2Rejection r) {
			return r;
		}
		throw new AssertionError("not refused");
	}

	// --- out ---

	private static OutboundResultMapper.OutboundResult result(List<Attachment> documents, Practitioner orderer) {
		Patient patient = new Patient();
		patient.addIdentifier().setSystem(V2Codes.MRN_SYSTEM).setValue("MRN-OUT-1");
		ServiceRequest order = new ServiceRequest();
		order.addIdentifier().setSystem(V2Codes.PLACER_SYSTEM).setValue("PO-OUT-1");
		DiagnosticReport report = new DiagnosticReport().setStatus(DiagnosticReport.DiagnosticReportStatus.FINAL);
		report.setId("DiagnosticReport/5");
		report.addIdentifier().setSystem(V2Codes.FILLER_SYSTEM).setValue("FO-OUT-1");
		report.getCode().addCoding().setSystem(V2Codes.LOINC).setCode("33721-2").setDisplay("Bone marrow Pathology biopsy report");
		Observation me = new Observation().setStatus(Observation.ObservationStatus.FINAL);
		me.getCode().addCoding().setSystem(V2Codes.LOINC).setCode("11138-5");
		me.setValue(new org.hl7.fhir.r4.model.StringType("1.2:1"));
		return new OutboundResultMapper.OutboundResult(report, List.of(me), patient, order, List.of(), documents, orderer);
	}

	private static Terser out(OutboundResultMapper.OutboundResult r) throws Exception {
		String er7 = OutboundResultMapper.encode(OutboundResultMapper.toOru(r,
				new OutboundResultMapper.Addressing("BONEMARROW-FHIR", "BONEMARROW", "WARD-LIS", "WARD", "BM-T18"), HAPI));
		return new Terser(HAPI.getPipeParser().parse(er7));
	}

	@Test
	void anInlinePresentedFormGoesOutAsAnEdObxAfterTheResults() throws Exception {
		Attachment pdf = new Attachment().setContentType("application/pdf").setData(pdf()).setTitle("Signed report");
		Terser t = out(result(List.of(pdf), null));

		assertThat(t.get("/.OBSERVATION(0)/OBX-2")).isEqualTo("TX");
		String obx = "/.OBSERVATION(1)/OBX";
		assertThat(t.get(obx + "-1")).isEqualTo("2");
		assertThat(t.get(obx + "-2")).isEqualTo("ED");
		assertThat(t.get(obx + "-3-1")).as("the report's own code").isEqualTo("33721-2");
		assertThat(t.get(obx + "-3-3")).isEqualTo("LN");
		assertThat(t.get(obx + "-3-2")).isEqualTo("Signed report");
		assertThat(t.get(obx + "-5-2")).isEqualTo("Application");
		assertThat(t.get(obx + "-5-3")).isEqualTo("PDF");
		assertThat(t.get(obx + "-5-4")).isEqualTo("Base64");
		assertThat(Base64.getDecoder().decode(t.get(obx + "-5-5"))).isEqualTo(pdf());
		assertThat(t.get(obx + "-11")).isEqualTo("F");
	}

	@Test
	void aUrlPresentedFormGoesOutAsAnRpObx_andOneNoReceiverCouldOpenIsLeftOut() throws Exception {
		Attachment link = new Attachment().setContentType("application/pdf").setUrl("https://lab.example/r/1.pdf");
		Attachment relative = new Attachment().setContentType("application/pdf").setUrl("Binary/77");
		Terser t = out(result(List.of(relative, link), null));
		String obx = "/.OBSERVATION(1)/OBX";
		assertThat(t.get(obx + "-2")).isEqualTo("RP");
		assertThat(t.get(obx + "-5-1")).isEqualTo("https://lab.example/r/1.pdf");
		assertThat(t.get(obx + "-5-3")).isEqualTo("Application");
		assertThat(t.get(obx + "-5-4")).isEqualTo("PDF");
		assertThat(t.getSegment("/.OBSERVATION(2)/OBX").isEmpty()).isTrue();
	}

	@Test
	void whatGoesOutComesBackInAsTheSamePresentedForm() {
		Attachment pdf = new Attachment().setContentType("application/pdf").setData(pdf()).setTitle("Signed report");
		Attachment link = new Attachment().setContentType("application/pdf").setUrl("https://lab.example/r/1.pdf");
		OutboundResultMapper.OutboundResult r = result(List.of(pdf, link), null);
		r.report().addSpecimen(new Reference("Specimen/1"));
		org.hl7.fhir.r4.model.Specimen specimen = new org.hl7.fhir.r4.model.Specimen();
		specimen.addIdentifier().setSystem(V2Codes.SPECIMEN_SYSTEM).setValue("SP-OUT-1");
		r = new OutboundResultMapper.OutboundResult(r.report(), r.observations(), r.patient(), r.order(), List.of(specimen),
				r.documents(), null);
		String er7 = OutboundResultMapper.encode(OutboundResultMapper.toOru(r,
				new OutboundResultMapper.Addressing("A", "B", "C", "D", "BM-T18"), HAPI));

		DiagnosticReport back = reportOf(er7);
		assertThat(back.getPresentedForm()).hasSize(2);
		assertThat(back.getPresentedForm().get(0).getData()).isEqualTo(pdf());
		assertThat(back.getPresentedForm().get(0).getContentType()).isEqualTo("application/pdf");
		assertThat(back.getPresentedForm().get(0).getTitle()).isEqualTo("Signed report");
		assertThat(back.getPresentedForm().get(1).getUrl()).isEqualTo("https://lab.example/r/1.pdf");
		assertThat(back.getResult()).hasSize(1);
	}

	@Test
	void aUrlUnderThisServersBaseNamesABinaryStoredHere() {
		V2OutboundSender sender = new V2OutboundSender(new V2Properties(null, null, null, null, null, null, null), null,
				"https://fhir.hospital.example/fhir/");
		try {
			assertThat(sender.localBinary("Binary/12").getValue()).isEqualTo("Binary/12");
			assertThat(sender.localBinary("https://fhir.hospital.example/fhir/Binary/12/_history/3").getVersionIdPart())
					.isEqualTo("3");
			assertThat(sender.localBinary("https://elsewhere.example/fhir/Binary/12")).isNull();
			assertThat(sender.localBinary("DocumentReference/3")).isNull();
			assertThat(sender.localBinary("https://fhir.hospital.example/fhir/Binary/12?_format=json")).isNull();
		} finally {
			sender.destroy();
		}
	}

	// --- the orderer ---

	@Test
	void aLogicalRequesterFromAV2OrderGoesBackOutAsTheSameXcn() throws Exception {
		// As OrderMessageMapper stores ORC-12 "PRAC-V2-ORD-01^Ordering^Hana^^^Dr".
		Reference requester = new Reference().setType("Practitioner").setDisplay("Dr Hana Ordering")
				.setIdentifier(new Identifier().setSystem(V2Codes.PRACTITIONER_SYSTEM).setValue("PRAC-V2-ORD-01"));
		Practitioner orderer = OutboundResultMapper.orderer(requester, ref -> null);
		Terser t = out(result(List.of(), orderer));
		for (String field : List.of("/.ORC-12", "/.OBR-16")) {
			assertThat(t.get(field + "-1")).isEqualTo("PRAC-V2-ORD-01");
			assertThat(t.get(field + "-2")).isEqualTo("Ordering");
			assertThat(t.get(field + "-3")).isEqualTo("Hana");
			assertThat(t.get(field + "-6")).isEqualTo("Dr");
		}
		// and read in again it is the same reference
		ca.uhn.hl7v2.model.v251.datatype.XCN xcn = new ca.uhn.hl7v2.model.v251.datatype.XCN(null);
		OutboundResultMapper.xcn(xcn, orderer);
		Reference back = V2Fields.practitioner(xcn);
		assertThat(back.getIdentifier().getValue()).isEqualTo("PRAC-V2-ORD-01");
		assertThat(back.getDisplay()).isEqualTo("Dr Hana Ordering");
	}

	@Test
	void aPractitionerRoleRequesterIsFollowedToItsPractitioner() throws Exception {
		Practitioner doctor = new Practitioner();
		doctor.setId("Practitioner/7");
		doctor.addIdentifier().setSystem("https://hospital.example/staff").setValue("S-1");
		doctor.addIdentifier().setSystem(OutboundResultMapper.NPI).setValue("1234567893");
		doctor.addName().setFamily("Ordering").addGiven("Hana").addGiven("Maria").addPrefix("Dr");
		PractitionerRole role = new PractitionerRole().setPractitioner(new Reference("Practitioner/7"));
		role.setId("PractitionerRole/8");
		Map<String, Resource> stored = Map.of("Practitioner/7", doctor, "PractitionerRole/8", role);

		Practitioner orderer = OutboundResultMapper.orderer(new Reference("PractitionerRole/8"),
				ref -> stored.get(ref.getReference()));
		assertThat(orderer).isSameAs(doctor);
		Terser t = out(result(List.of(), orderer));
		assertThat(t.get("/.OBR-16-1")).as("the NPI before another system's id").isEqualTo("1234567893");
		assertThat(t.get("/.OBR-16-2")).isEqualTo("Ordering");
		assertThat(t.get("/.OBR-16-3")).isEqualTo("Hana");
		assertThat(t.get("/.OBR-16-4")).isEqualTo("Maria");
		assertThat(t.get("/.OBR-16-6")).isEqualTo("Dr");
		assertThat(t.get("/.OBR-16-9-2")).isEqualTo("2.16.840.1.113883.4.6");
		assertThat(t.get("/.OBR-16-13")).isEqualTo("NPI");
		assertThat(t.get("/.ORC-12-1")).isEqualTo("1234567893");

		// A role whose practitioner is not stored still names what the role's reference says.
		PractitionerRole bare = new PractitionerRole().setPractitioner(new Reference().setDisplay("Prof Ada Second"));
		Practitioner fromRole = OutboundResultMapper.orderer(new Reference("PractitionerRole/9"), ref -> bare);
		assertThat(fromRole.getNameFirstRep().getText()).isEqualTo("Prof Ada Second");
		// An organisation is no orderer for OBR-16.
		assertThat(OutboundResultMapper.orderer(new Reference("Organization/1").setDisplay("Ward 5"), ref -> null)).isNull();
		assertThat(OutboundResultMapper.orderer(new Reference(), ref -> null)).isNull();
	}
}
