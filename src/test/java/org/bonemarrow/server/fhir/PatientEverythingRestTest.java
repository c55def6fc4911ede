package org.bonemarrow.server.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.SampleBundles;
import org.bonemarrow.server.support.Tokens;
import org.hl7.fhir.r4.model.Bundle;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Patient/$everything over HTTP: a reader gets the patient's exam record and what it may read of it, never
 * the audit trail about the patient and never another patient's record; page links work for their owner.
 */
@FhirServerTest
class PatientEverythingRestTest extends RestTestBase {

	private static final String SAMPLE = "exam-iron-assessment.json";
	private static final Set<String> EXAM_TYPES =
			Set.of("Patient", "ServiceRequest", "Procedure", "Specimen", "Observation", "DiagnosticReport", "Task");

	// Posted once for the class (JUnit makes an instance per test).
	private static String patient;
	private static Set<String> record;
	private static Set<String> otherPatientsRecord;

	@BeforeEach
	void twoPatientsExams() throws InterruptedException {
		if (patient != null) {
			return;
		}
		record = posted(SAMPLE);
		patient = record.stream().filter(id -> id.startsWith("Patient/")).findFirst().orElseThrow();
		otherPatientsRecord = posted(SAMPLE);
		// The audit trail has written about this patient (the transaction's event names it): the record
		// HAPI finds for the patient holds AuditEvents from now on.
		Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
		while (total("/AuditEvent?entity=" + patient) == 0) {
			assertThat(Instant.now()).as("audit event about the patient written").isBefore(deadline);
			Thread.sleep(200);
		}
	}

	@Test
	void integration_getsTheExamRecord_withoutAuditEvents_andNothingOfAnotherPatient() {
		Bundle everything = everything(fhirAs("integration"), "");
		Set<String> ids = ids(everything);
		assertThat(types(ids)).containsAll(EXAM_TYPES).doesNotContain("AuditEvent");
		assertThat(ids).containsAll(record).doesNotContainAnyElementsOf(otherPatientsRecord);

		// The audit trail is there for whom may read it: leaving it out above is the scopes, not an empty trail.
		assertThat(types(ids(everything(fhir(), "")))).contains("AuditEvent");
	}

	@Test
	void aClientWithNamedScopes_getsOnlyTheTypesItMayRead() {
		// A token with part of the lab's role (the scopes a token may carry are those its client was given).
		Response token = Tokens.request(port, "lab", Tokens.secret(authorizationServer.clientsFile(), "lab"),
				"system/Patient.rs system/Observation.crus");
		token.then().statusCode(200);
		String narrow = token.jsonPath().getString("access_token");
		Bundle everything = everything(anonymous().auth().preemptive().oauth2(narrow), "");
		assertThat(types(ids(everything))).containsExactlyInAnyOrder("Patient", "Observation");
	}

	@Test
	void askingForAnUnreadableType_orWithoutPatientRead_is403() {
		Response audit = fhirAs("integration").get("/" + patient + "/$everything?_type=AuditEvent");
		audit.then().statusCode(403);
		assertThat(outcome(audit).getIssueFirstRep().getDiagnostics()).contains("AuditEvent", "_type");

		fhirAs("auditor").get("/" + patient + "/$everything").then().statusCode(403);
	}

	@Test
	void pagesFollowTheirLinks_forTheirOwnerOnly() {
		Set<String> unpaged = ids(everything(fhirAs("integration"), ""));
		Bundle page = everything(fhirAs("integration"), "?_count=4");
		List<String> paged = new ArrayList<>(ids(page));
		String next = null;
		while (page.getLink("next") != null) {
			next = page.getLink("next").getUrl();
			Response r = fhirAs("integration").get(next);
			r.then().statusCode(200);
			page = bundle(r);
			paged.addAll(ids(page));
		}
		assertThat(next).as("more than one page").isNotNull();
		assertThat(paged).doesNotHaveDuplicates();
		assertThat(new HashSet<>(paged)).isEqualTo(unpaged);

		fhirAs("ehr").get(next).then().statusCode(403);
	}

	@Test
	void since_leavesOutWhatDidNotChange() {
		assertThat(everything(fhirAs("integration"), "?_since=2000-01-01T00:00:00Z").getEntry()).isNotEmpty();
		assertThat(everything(fhirAs("integration"), "?_since=2999-01-01T00:00:00Z").getEntry()).isEmpty();
		fhirAs("integration").get("/" + patient + "/$everything?_since=yesterday").then().statusCode(400);
	}

	private Bundle everything(io.restassured.specification.RequestSpecification as, String query) {
		Response r = as.get("/" + patient + "/$everything" + query);
		r.then().statusCode(200);
		return bundle(r);
	}

	/** Posts a sample exam (unique identifiers) and returns the ids of what it stored. */
	private Set<String> posted(String sample) {
		Response r = fhir().body(json(SampleBundles.unique(sample))).post("");
		r.then().statusCode(200);
		Set<String> ids = new HashSet<>();
		bundle(r).getEntry().forEach(e -> ids.add(idFromLocation("/fhir/" + e.getResponse().getLocation())));
		return ids;
	}

	private static Set<String> ids(Bundle bundle) {
		Set<String> ids = new HashSet<>();
		bundle.getEntry().forEach(e -> ids.add(e.getResource().getIdElement().toUnqualifiedVersionless().getValue()));
		return ids;
	}

	private static Set<String> types(Set<String> ids) {
		Set<String> types = new HashSet<>();
		ids.forEach(id -> types.add(id.substring(0, id.indexOf('/'))));
		return types;
	}
}
