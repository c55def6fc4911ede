package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.hl7v2.util.Terser;
import io.restassured.RestAssured;
import java.util.List;
import org.bonemarrow.server.support.FhirServerTest;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Task;
import org.junit.jupiter.api.Test;

/** What the manifest cannot show: matching across messages, idempotence, and each transport's own refusals. */
@FhirServerTest
class V2GatewayTest extends V2TestBase {

	@Test
	void aPatientIsMatchedByPid3NotDuplicated_andAResentOrderCreatesNothing() throws Exception {
		String suffix = V2Samples.newSuffix();
		String orm = V2Samples.unique("orm-o01-new-order.hl7", suffix);
		// The OML for a second order of the same patient: same MRN, its own placer number.
		String oml = V2Samples.unique("oml-o21-new-order.hl7", suffix).replace("MRN-V2-1002-", "MRN-V2-1001-");

		assertAa(send(Transport.MLLP, "ehr", orm));
		assertAa(send(Transport.HTTP, "ehr", oml));
		assertAa(send(Transport.MLLP, "ehr", orm));

		List<Patient> patients = byIdentifier(Patient.class, V2Codes.MRN_SYSTEM, V2Samples.id("MRN-V2-1001", suffix));
		assertThat(patients).hasSize(1);
		String patientId = patients.get(0).getIdElement().toUnqualifiedVersionless().getValue();
		List<ServiceRequest> first = byIdentifier(ServiceRequest.class, V2Codes.PLACER_SYSTEM, V2Samples.id("PO-V2-0001", suffix));
		List<ServiceRequest> second = byIdentifier(ServiceRequest.class, V2Codes.PLACER_SYSTEM, V2Samples.id("PO-V2-0002", suffix));
		assertThat(first).as("the re-sent order is the same order").hasSize(1);
		assertThat(second).hasSize(1);
		assertThat(first.get(0).getSubject().getReference()).isEqualTo(patientId);
		assertThat(second.get(0).getSubject().getReference()).isEqualTo(patientId);
		assertThat(search(Task.class, "focus=" + first.get(0).getIdElement().toUnqualifiedVersionless().getValue()))
				.as("one Task for the order, however often it is sent").hasSize(1);
	}

	@Test
	void everyMessageIsAudited_withSenderControlIdAndAck() throws Exception {
		String controlId = "AUDIT-" + V2Samples.newSuffix();
		String[] lines = V2Samples.unique("orm-o01-new-order.hl7", V2Samples.newSuffix()).split("\r?\n|\r", -1);
		String[] msh = lines[0].split("\\|", -1);
		msh[9] = controlId; // MSH-10: fields[0] is "MSH", fields[1] is MSH-2
		lines[0] = String.join("|", msh);
		assertAa(send(Transport.HTTP, "ehr", String.join("\r", lines)));

		org.hl7.fhir.r4.model.AuditEvent event = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
				.pollInterval(java.time.Duration.ofMillis(100))
				.until(() -> bundle(fhirAs("auditor").get("/AuditEvent?entity-name=" + controlId)).getEntry(), e -> !e.isEmpty())
				.get(0).getResource() instanceof org.hl7.fhir.r4.model.AuditEvent a ? a : null;
		assertThat(event).isNotNull();
		assertThat(event.getType().getCode()).isEqualTo("110107");
		assertThat(event.getAgentFirstRep().getName()).isEqualTo("ehr");
		assertThat(event.getOutcomeDesc()).isEqualTo("HL7 v2 ACK AA");
	}

	@Test
	void aPlacerNumberAlreadyUsedForAnotherPatientIsRefused() throws Exception {
		String suffix = V2Samples.newSuffix();
		assertAa(send(Transport.MLLP, "ehr", V2Samples.unique("orm-o01-new-order.hl7", suffix)));
		String otherPatient = V2Samples.unique("orm-o01-new-order.hl7", suffix).replace("MRN-V2-1001-", "MRN-V2-1999-");

		Terser t = ack(send(Transport.HTTP, "ehr", otherPatient));

		assertThat(t.get("/MSA-1")).isEqualTo("AE");
		assertThat(t.get("/ERR-3-1")).isEqualTo("205");
		assertThat(t.get("/ERR-2-1")).isEqualTo("ORC");
		assertThat(byIdentifier(Patient.class, V2Codes.MRN_SYSTEM, V2Samples.id("MRN-V2-1999", suffix))).isEmpty();
	}

	@Test
	void anUnknownMllpSenderIsRefusedWithArAndNothingIsStored() throws Exception {
		String suffix = V2Samples.newSuffix();
		String message = V2Samples.withSendingApplication(V2Samples.unique("orm-o01-new-order.hl7", suffix), "NOT-CONFIGURED");

		String ack = V2Mllp.send(mllp.port(), message);

		Terser t = ack(ack);
		assertThat(t.get("/MSA-1")).isEqualTo("AR");
		assertThat(t.get("/MSA-2")).isEqualTo("MSG-V2-0001");
		assertThat(t.get("/ERR-2-1")).isEqualTo("MSH");
		assertThat(t.get("/ERR-2-3")).isEqualTo("3");
		assertThat(t.get("/ERR-8")).contains("not a configured HL7 v2 sender");
		assertThat(byIdentifier(Patient.class, V2Codes.MRN_SYSTEM, V2Samples.id("MRN-V2-1001", suffix))).isEmpty();
		assertThat(byIdentifier(ServiceRequest.class, V2Codes.PLACER_SYSTEM, V2Samples.id("PO-V2-0001", suffix))).isEmpty();
	}

	@Test
	void overHttpTheCallerMustBeAuthenticatedAndTheBodyAnHl7Message() throws Exception {
		String suffix = V2Samples.newSuffix();
		String message = V2Samples.unique("orm-o01-new-order.hl7", suffix);

		V2Http.post(port, null, message).then().statusCode(401).header("WWW-Authenticate", "Bearer");
		V2Http.post(port, token("ehr"), "this is not an HL7 message").then().statusCode(400);
		assertThat(byIdentifier(ServiceRequest.class, V2Codes.PLACER_SYSTEM, V2Samples.id("PO-V2-0001", suffix))).isEmpty();

		RestAssured.given().port(port).basePath("").contentType("application/json").body("{}")
				.auth().preemptive().oauth2(token("ehr")).post(V2HttpEndpoint.PATH).then().statusCode(415);
	}

	@Test
	void overMllpAnUnreadableMessageStillGetsAnAr() throws Exception {
		Terser t = ack(V2Mllp.send(mllp.port(), "this is not an HL7 message"));
		assertThat(t.get("/MSA-1")).isEqualTo("AR");
		assertThat(t.get("/ERR-8")).contains("readable MSH segment");
	}

	@Test
	void aMalformedValueIsAnAeNamingTheField() throws Exception {
		String suffix = V2Samples.newSuffix();
		String message = V2Samples.unique("orm-o01-new-order.hl7", suffix).replace("|19610412|", "|1961-04-12|");

		Terser t = ack(send(Transport.MLLP, "ehr", message));

		assertThat(t.get("/MSA-1")).isEqualTo("AE");
		assertThat(t.get("/ERR-8")).contains("PID-7").doesNotContain("1961");
		assertThat(byIdentifier(Patient.class, V2Codes.MRN_SYSTEM, V2Samples.id("MRN-V2-1001", suffix))).isEmpty();
	}
}
