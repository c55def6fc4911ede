package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.MedicationStatement;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 M2/M3: every type a search parameter, chain, {@code _has}, include or match URL reaches must be
 * within the caller's scopes, or the request is 403 before it runs, whether or not anything matches; the
 * refusal names the type and nothing is stored.
 */
@FhirServerTest
class SearchReachRestTest extends RestTestBase {

	private static final String OBS_ID_SYSTEM = "https://bonemarrow-exam.example/fhir/sid/test-observation";

	private String patient;
	private String mrn;
	private String diagnosis;

	@BeforeEach
	void aPatientWithADiagnosisAndAMedication() {
		mrn = Fixtures.unique("MRN");
		patient = create(Fixtures.patient(mrn));
		diagnosis = Fixtures.unique("DX");
		Condition c = new Condition();
		c.setSubject(new Reference(patient));
		c.setCode(Fixtures.concept("http://example.org/dx", diagnosis, "Test diagnosis"));
		create(c);
		MedicationStatement m = new MedicationStatement();
		m.setStatus(MedicationStatement.MedicationStatementStatus.ACTIVE);
		m.setSubject(new Reference(patient));
		m.setMedication(Fixtures.concept("http://example.org/med", diagnosis, "Test medication"));
		create(m);
	}

	@Test
	void theAuditTrailIsNotSearchableThroughHas_byAnyClientWithoutTheAuditEventScope() {
		// The patient was read by lab, so there is an event to find.
		fhirAs("lab").get("/" + patient).then().statusCode(200);
		String has = "/Patient?_has:AuditEvent:entity:agent-name=lab";
		for (String client : new String[] {"integration", "lab", "ehr", "department"}) {
			refused(fhirAs(client).get(has), client, "AuditEvent");
		}
		// The search itself works for a client that may search the audit trail.
		Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
				bundle(fhir().get(has + "&_id=" + patient.split("/")[1])).getEntry().size() == 1);
	}

	@Test
	void hasOfAnUnsearchableTypeIsRefused_whetherOrNotSomethingMatches() {
		refused(fhirAs("lab").get("/Patient?_has:Condition:subject:code=" + diagnosis), "lab", "Condition");
		refused(fhirAs("lab").get("/Patient?_has:Condition:subject:code=nothing-" + diagnosis), "lab", "Condition");
		refused(fhirAs("lab").get("/Patient?_has:MedicationStatement:subject:code=" + diagnosis), "lab", "MedicationStatement");
		// nested: the inner type counts too
		refused(fhirAs("lab").get("/Patient?_has:Observation:subject:_has:AuditEvent:entity:agent-name=lab"), "lab", "AuditEvent");
		// a chain into _has
		refused(fhirAs("lab").get("/Specimen?patient._has:Condition:subject:code=" + diagnosis), "lab", "Condition");
		// ehr may search Conditions: the same search answers
		Bundle found = bundle(fhirAs("ehr").get("/Patient?_has:Condition:subject:code=" + diagnosis));
		assertThat(found.getEntry()).extracting(e -> e.getResource().getIdElement().toUnqualifiedVersionless().getValue())
				.containsExactly(patient);
	}

	@Test
	void revincludeAndIncludeOfUnreadableTypesAreRefusedBeforeRunning_notOnlyWhenSomethingMatches() {
		String other = create(Fixtures.patient(Fixtures.unique("MRN"))); // has no Condition
		for (String p : new String[] {patient, other}) {
			String id = p.split("/")[1];
			refused(fhirAs("lab").get("/Patient?_id=" + id + "&_revinclude=Condition:subject"), "lab", "Condition");
			refused(fhirAs("lab").get("/Patient?_id=" + id + "&_revinclude:iterate=MedicationStatement:subject"), "lab",
					"MedicationStatement");
			refused(fhirAs("integration").get("/Patient?_id=" + id + "&_revinclude=AuditEvent:entity"), "integration",
					"AuditEvent");
		}
		// An untyped include reaches every target type of its parameter: CarePlan among ServiceRequest.based-on's.
		refused(fhirAs("lab").get("/ServiceRequest?subject=" + patient + "&_include=ServiceRequest:based-on"),
				"lab", "CarePlan");
		refused(fhirAs("lab").get("/ServiceRequest?subject=" + patient + "&_include:iterate=Condition:subject"), "lab",
				"Condition");
		// Wildcards are judged by every type they may reach.
		refused(fhirAs("lab").get("/ServiceRequest?subject=" + patient + "&_include=*"), "lab", null);
		refused(fhirAs("lab").get("/ServiceRequest?subject=" + patient + "&_include=ServiceRequest:*"), "lab", null);
		refused(fhirAs("integration").get("/Patient?_id=" + other.split("/")[1] + "&_revinclude=*"), "integration",
				"AuditEvent");
		// Within the scopes, includes still work.
		Bundle withConditions = bundle(fhirAs("integration").get("/Patient?_id=" + patient.split("/")[1]
				+ "&_revinclude=Condition:subject"));
		assertThat(withConditions.getEntry()).extracting(e -> e.getResource().fhirType()).contains("Patient", "Condition");
		fhirAs("lab").get("/Patient?_id=" + patient.split("/")[1] + "&_revinclude=Specimen:patient").then().statusCode(200);
	}

	@Test
	void theAuditorLearnsNoNamesOrIdentifiersThroughChains() {
		refused(fhirAs("auditor").get("/AuditEvent?patient.family=Testperson"), "auditor", "Patient");
		refused(fhirAs("auditor").get("/AuditEvent?entity:Patient.identifier=" + Fixtures.MRN_SYSTEM + "|" + mrn),
				"auditor", "Patient");
		refused(fhirAs("auditor").get("/AuditEvent?_sort=patient.family"), "auditor", "Patient");
		// An untyped chain reaches every target type of the parameter: all must be searchable.
		refused(fhirAs("lab").get("/Observation?subject.identifier=" + Fixtures.MRN_SYSTEM + "|" + mrn), "lab", null);
		// Typed, within the scopes, it answers.
		fhirAs("lab").get("/Observation?subject:Patient.identifier=" + Fixtures.MRN_SYSTEM + "|" + mrn).then().statusCode(200);
		fhirAs("auditor").get("/AuditEvent?agent-name=lab&_count=1").then().statusCode(200);
	}

	@Test
	void anInlineConditionalReferenceToAnUnsearchableTypeIsRefused_andNothingIsStored() {
		String marker = Fixtures.unique("OBS");
		Observation o = observation(marker);
		o.addFocus(new Reference("Condition?code=" + diagnosis + "&subject=" + patient));
		refused(fhirAs("lab").body(json(o)).post("/Observation"), "lab", "Condition");
		assertThat(total("/Observation?identifier=" + OBS_ID_SYSTEM + "|" + marker)).isZero();

		// the same inside a transaction
		Bundle tx = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		tx.addEntry().setFullUrl(Fixtures.urn()).setResource(o).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Observation");
		refused(fhirAs("lab").body(json(tx)).post(""), "lab", "Condition");
		assertThat(total("/Observation?identifier=" + OBS_ID_SYSTEM + "|" + marker)).isZero();

		// a conditional reference to a searchable type still resolves
		Observation ok = observation(marker);
		ok.setSubject(new Reference("Patient?identifier=" + Fixtures.MRN_SYSTEM + "|" + mrn));
		Response created = fhirAs("lab").body(json(ok)).post("/Observation");
		created.then().statusCode(201);
		Observation stored = parse(fhir().get("/" + idFromLocation(created.header("Location"))), Observation.class);
		assertThat(stored.getSubject().getReference()).isEqualTo(patient);
	}

	@Test
	void matchUrlsAreSearchesOfTheirType() {
		String marker = Fixtures.unique("OBS");
		// If-None-Exist
		refused(fhirAs("lab").header("If-None-Exist", "subject:Patient._has:Condition:subject:code=" + diagnosis)
				.body(json(observation(marker))).post("/Observation"), "lab", "Condition");
		// conditional update
		refused(fhirAs("lab").body(json(observation(marker)))
				.put("/Observation?identifier=" + OBS_ID_SYSTEM + "|" + marker + "&subject:Patient._has:Condition:subject:code="
						+ diagnosis),
				"lab", "Condition");
		// transaction: If-None-Exist, conditional URL and a search entry
		Bundle tx = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		tx.addEntry().setFullUrl(Fixtures.urn()).setResource(observation(marker)).getRequest()
				.setMethod(Bundle.HTTPVerb.POST).setUrl("Observation")
				.setIfNoneExist("subject:Patient._has:MedicationStatement:subject:status=active");
		refused(fhirAs("lab").body(json(tx)).post(""), "lab", "MedicationStatement");
		Bundle batch = new Bundle().setType(Bundle.BundleType.BATCH);
		batch.addEntry().getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl("Patient?_has:Condition:subject:code=" + diagnosis);
		refused(fhirAs("lab").body(json(batch)).post(""), "lab", "Condition");
		assertThat(total("/Observation?identifier=" + OBS_ID_SYSTEM + "|" + marker)).isZero();
	}

	private Observation observation(String marker) {
		Observation o = new Observation();
		o.setStatus(Observation.ObservationStatus.PRELIMINARY);
		o.addIdentifier().setSystem(OBS_ID_SYSTEM).setValue(marker);
		o.setCode(Fixtures.concept("http://example.org/test", "note", "Test note"));
		o.setSubject(new Reference(patient));
		return o;
	}

	/** 403 OperationOutcome naming the type out of scope, and no patient data (values) in it. */
	static void refused(Response r, String client, String type) {
		r.then().statusCode(403);
		String diagnostics = outcome(r).getIssueFirstRep().getDiagnostics();
		assertThat(diagnostics).startsWith("Access denied: client '" + client + "'");
		if (type != null) {
			assertThat(diagnostics).contains(" " + type);
		}
		assertThat(diagnostics).doesNotContain("Testperson").doesNotContain("MRN-").doesNotContain("DX-");
	}
}
