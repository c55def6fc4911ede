package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.bonemarrow.server.security.audit.AuditTrail;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.SampleBundles;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * Names, identifiers and free text never reach the log. The whole server log is captured while a full
 * exam is posted the way an EHR and a lab would, and while the same patient's data is searched for,
 * refused (403), rejected by validation (422) and sent without a token (401); then every piece of
 * patient data the requests carried is looked for in the captured output.
 */
@FhirServerTest
@ExtendWith(OutputCaptureExtension.class)
class NoPatientDataInLogsTest extends RestTestBase {

	@Autowired
	private AuditTrail auditTrail;

	@Test
	void aFullExamLeavesNoPatientDataInTheLog(CapturedOutput log) {
		String suffix = Fixtures.unique("x").substring(2);
		Bundle exam = SampleBundles.unique("exam-suspected-leukaemia.json", suffix);
		String family = "Logtestfamily" + suffix.replace("-", "");
		String given = "Logtestgiven" + suffix.replace("-", "");
		String conclusion = "Logtest conclusion " + suffix + ": hypercellular marrow.";
		String note = "Logtest note " + suffix + " about the patient";
		Patient patient = first(exam, Patient.class);
		patient.getNameFirstRep().setFamily(family).getGiven().clear();
		patient.getNameFirstRep().addGiven(given);
		String mrn = patient.getIdentifierFirstRep().getValue();
		ServiceRequest order = first(exam, ServiceRequest.class);
		String placer = order.getIdentifierFirstRep().getValue();
		order.addNote().setText(note);
		first(exam, DiagnosticReport.class).setConclusion(conclusion);

		fhir().body(json(exam)).post("").then().statusCode(200);
		fhirAs("integration").get("/Patient?family=" + family).then().statusCode(200);
		fhirAs("integration").get("/Patient?identifier=" + mrn).then().statusCode(200);
		fhirAs("integration").body(json(patient)).post("/Patient").then().statusCode(403);
		anonymous().get("/Patient?family=" + family).then().statusCode(401);

		// A finding whose value is not allowed: the validator's message quotes values; the log must not.
		Observation bad = first(exam, Observation.class).copy();
		bad.setId((String) null);
		bad.getCode().getCodingFirstRep().setCode("not-a-code-" + given);
		bad.setSubject(null);
		fhir().body(json(bad)).post("/Observation").then().statusCode(422);

		Awaitility.await().atMost(Duration.ofSeconds(20)).until(auditTrail::idle);
		assertThat(log.getAll()).contains("OrderCreatesProcedureAndTask"); // the capture did see server logs
		for (String patientData : List.of(family, given, mrn, placer, conclusion, note, "not-a-code-" + given)) {
			assertThat(log.getAll()).as("log must not contain patient data").doesNotContain(patientData);
		}
	}

	/**
	 * HAPI logs a refused request's diagnostics, which quote what the client sent: an unmatched conditional
	 * reference (an MRN and a family name), an invalid birth date, a name with a lone surrogate. The client
	 * still reads them in its OperationOutcome; the log gets them with the values blanked out.
	 */
	@Test
	void refusedRequestsLeaveNoPatientDataInTheLog(CapturedOutput log) {
		String marker = Fixtures.unique("Lg").replace("-", "");
		String mrn = "MRN" + marker;
		String family = "Familyname" + marker;

		String unmatched = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},"
				+ "\"subject\":{\"reference\":\"Patient?identifier=" + Fixtures.MRN_SYSTEM + "|" + mrn + "&family=" + family + "\"}}";
		Response refused = fhir().body(unmatched).post("/Observation");
		assertThat(refused.statusCode()).isBetween(400, 499);
		assertThat(refused.asString()).as("the client still learns what did not match").contains(mrn);

		String badDate = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}],"
				+ "\"birthDate\":\"1961-13-45" + marker + "\"}";
		assertThat(fhir().body(badDate).post("/Patient").statusCode()).isBetween(400, 499);

		String loneSurrogate = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\\ud800\"}]}";
		int status = fhir().body(loneSurrogate).post("/Patient").statusCode();
		assertThat(status).isNotEqualTo(500);

		// A refusal outside the scopes: HAPI's exception handler's one line, not its interceptor service's trace.
		fhirAs("integration").body("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}]}")
				.post("/Patient").then().statusCode(403);

		Awaitility.await().atMost(Duration.ofSeconds(20)).until(auditTrail::idle);
		assertThat(log.getAll()).as("log must not contain patient data").doesNotContain(mrn).doesNotContain(family)
				.doesNotContain(marker);
		assertThat(log.getAll()).contains("ForbiddenOperationException")
				.doesNotContain("Exception thrown by interceptor for pointcut");
	}

	private static <T> T first(Bundle bundle, Class<T> type) {
		return bundle.getEntry().stream().map(Bundle.BundleEntryComponent::getResource).filter(type::isInstance)
				.map(type::cast).findFirst().orElseThrow();
	}
}
