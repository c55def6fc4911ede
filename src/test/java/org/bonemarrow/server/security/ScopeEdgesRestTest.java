package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.security.SearchReachRestTest.refused;

import io.restassured.response.Response;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.MedicationStatement;
import org.hl7.fhir.r4.model.Practitioner;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.hl7.fhir.r4.model.Subscription;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 19, low items: contained resources are subject to type scopes (written: create scope of their
 * type; read: removed when the type is not readable), {@code $validate} on an existing resource needs the
 * read scope and {@code mode=delete} the delete scope, and conditional delete works for types with the
 * delete scope (deleting only what matches).
 */
@FhirServerTest
class ScopeEdgesRestTest extends RestTestBase {

	private static final String SR_ID_SYSTEM = "https://bonemarrow-exam.example/fhir/sid/test-request";
	private static final String SPECIMEN_ID_SYSTEM = "https://bonemarrow-exam.example/fhir/sid/test-specimen";

	private String patient;

	@BeforeEach
	void aPatient() {
		patient = create(Fixtures.patient(Fixtures.unique("MRN")));
	}

	@Test
	void containedResourcesOfUnreadableTypesAreRemovedFromWhatTheLabReads() {
		String marker = Fixtures.unique("SR");
		Response created = fhirAs("ehr").body(json(requestWithContained(marker))).post("/ServiceRequest");
		created.then().statusCode(201);
		String order = idFromLocation(created.header("Location"));

		// integration reads everything but AuditEvent: all three stay
		assertThat(containedTypes(parse(fhirAs("integration").get("/" + order), ServiceRequest.class)))
				.containsExactlyInAnyOrder("Condition", "MedicationStatement", "Practitioner");
		// the lab: only the Practitioner, in a read, a search, an include's container, history, the exam summary
		assertThat(containedTypes(parse(ok(fhirAs("lab").get("/" + order)), ServiceRequest.class)))
				.containsExactly("Practitioner");
		assertThat(containedTypes(only(bundle(ok(fhirAs("lab").get("/ServiceRequest?identifier=" + SR_ID_SYSTEM + "|" + marker))))))
				.containsExactly("Practitioner");
		assertThat(containedTypes(only(bundle(ok(fhirAs("lab").get("/" + order + "/_history"))))))
				.containsExactly("Practitioner");
		Bundle summary = bundle(ok(fhirAs("lab").get("/" + order + "/$exam-summary")));
		ServiceRequest inSummary = summary.getEntry().stream().map(e -> e.getResource())
				.filter(r -> r instanceof ServiceRequest).map(r -> (ServiceRequest) r).findFirst().orElseThrow();
		assertThat(containedTypes(inSummary)).containsExactly("Practitioner");
		String raw = fhirAs("lab").get("/" + order).asString();
		assertThat(raw).doesNotContain("\"Condition\"").doesNotContain("MedicationStatement");
		// batch response entries too
		Bundle batch = new Bundle().setType(Bundle.BundleType.BATCH);
		batch.addEntry().getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl(order);
		Bundle answer = bundle(ok(fhirAs("lab").body(json(batch)).post("")));
		assertThat(containedTypes((ServiceRequest) answer.getEntryFirstRep().getResource())).containsExactly("Practitioner");
	}

	@Test
	void aContainedResourceIsAWriteOfItsType() {
		String marker = Fixtures.unique("SPEC");
		Condition dx = new Condition();
		dx.setId("dx");
		dx.setSubject(new Reference(patient));
		Specimen withCondition = specimen(marker);
		withCondition.addContained(dx);
		withCondition.getRequestFirstRep().setReference("#dx");
		refused(fhirAs("lab").body(json(withCondition)).post("/Specimen"), "lab", "Condition");

		String auditEvent = "{\"resourceType\":\"Specimen\",\"identifier\":[{\"system\":\"" + SPECIMEN_ID_SYSTEM
				+ "\",\"value\":\"" + marker + "\"}],\"subject\":{\"reference\":\"" + patient + "\"},"
				+ "\"contained\":[{\"resourceType\":\"AuditEvent\",\"id\":\"ae\",\"type\":{\"code\":\"rest\"},"
				+ "\"recorded\":\"2026-11-25T00:00:00Z\",\"agent\":[{\"requestor\":true}],"
				+ "\"source\":{\"observer\":{\"display\":\"forger\"}}}],"
				+ "\"note\":[{\"authorReference\":{\"reference\":\"#ae\"},\"text\":\"x\"}]}";
		refused(fhirAs("lab").body(auditEvent).post("/Specimen"), "lab", "AuditEvent");
		refused(fhir().body(auditEvent).post("/Specimen"), "test-admin", "AuditEvent");

		// in a transaction, and through PATCH
		Bundle tx = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		tx.addEntry().setFullUrl(Fixtures.urn()).setResource(withCondition).getRequest()
				.setMethod(Bundle.HTTPVerb.POST).setUrl("Specimen");
		refused(fhirAs("lab").body(json(tx)).post(""), "lab", "Condition");
		assertThat(total("/Specimen?identifier=" + SPECIMEN_ID_SYSTEM + "|" + marker)).isZero();

		String plain = idFromLocation(fhirAs("lab").body(json(specimen(marker))).post("/Specimen").header("Location"));
		String patch = "[{\"op\":\"add\",\"path\":\"/contained\",\"value\":[{\"resourceType\":\"Condition\",\"id\":\"dx\","
				+ "\"subject\":{\"reference\":\"" + patient + "\"}}]}]";
		refused(fhirAs("lab").contentType("application/json-patch+json").body(patch).patch("/" + plain), "lab", "Condition");
		assertThat(parse(fhir().get("/" + plain), Specimen.class).getContained()).isEmpty();
	}

	@Test
	void validateOnAnExistingResourceNeedsItsReadScope_andModeDeleteItsDeleteScope() {
		Condition dx = new Condition();
		dx.setSubject(new Reference(patient));
		String condition = create(dx);
		String modeDelete = "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"mode\",\"valueCode\":\"delete\"}]}";

		refused(fhirAs("lab").body(modeDelete).post("/" + condition + "/$validate"), "lab", "delete Condition");
		refused(fhirAs("lab").body(modeDelete).post("/" + condition + "/$validate?mode=delete"), "lab", "delete Condition");
		refused(fhirAs("ehr").body(modeDelete).post("/" + condition + "/$validate"), "ehr", "delete Condition");
		refused(fhirAs("ehr").body(modeDelete).post("/" + patient + "/$validate"), "ehr", "delete Patient");
		refused(fhirAs("lab").body(modeDelete).post("/AuditEvent/1/$validate"), "lab", "delete AuditEvent");
		refused(fhirAs("lab").body(modeDelete).post("/AuditEvent/does-not-exist/$validate"), "lab", "delete AuditEvent");
		refused(fhirAs("lab").body(json(dx)).post("/" + condition + "/$validate"), "lab", "read Condition");
		// audited like every refusal
		Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !bundle(fhirAs("auditor")
				.get("/AuditEvent?entity=" + condition + "&agent-name=lab&outcome=4")).getEntry().isEmpty());

		// with the delete scope the check runs (and says that the Condition is not referred to)
		assertThat(fhir().body(modeDelete).post("/" + condition + "/$validate").statusCode()).isNotEqualTo(403);
		// a type-level validate of a body is not a read
		assertThat(fhirAs("lab").body(json(specimen(Fixtures.unique("SPEC")))).post("/Specimen/$validate").statusCode())
				.isNotEqualTo(403);
	}

	@Test
	void ehrDeletesItsOwnSubscriptionsConditionally_onlyTheOneThatMatches() {
		String a = createAs("ehr", subscription());
		String b = createAs("ehr", subscription());

		Response deleted = fhirAs("ehr").delete("/Subscription?_id=" + a.split("/")[1] + "&status=off");
		assertThat(deleted.statusCode()).isIn(200, 204);
		assertThat(fhir().get("/" + a).statusCode()).isEqualTo(410);
		assertThat(fhir().get("/" + b).statusCode()).isEqualTo(200);

		// a match that finds nothing deletes nothing
		fhirAs("ehr").delete("/Subscription?_id=" + b.split("/")[1] + "&status=active");
		assertThat(fhir().get("/" + b).statusCode()).isEqualTo(200);

		// without the delete scope, refused before the search runs
		refused(fhirAs("lab").delete("/Subscription?_id=" + b.split("/")[1]), "lab", null);
		refused(fhirAs("ehr").delete("/Patient?_id=" + patient.split("/")[1]), "ehr", null);
		refused(fhirAs("ehr").delete("/AuditEvent?_id=1"), "ehr", null);
		assertThat(fhir().get("/" + b).statusCode()).isEqualTo(200);
		assertThat(fhir().get("/" + patient).statusCode()).isEqualTo(200);
	}

	private ServiceRequest requestWithContained(String marker) {
		Condition dx = new Condition();
		dx.setId("dx");
		dx.setSubject(new Reference(patient));
		dx.setCode(Fixtures.concept("http://example.org/dx", "secret-dx", "Secret diagnosis"));
		MedicationStatement med = new MedicationStatement();
		med.setId("med");
		med.setStatus(MedicationStatement.MedicationStatementStatus.ACTIVE);
		med.setSubject(new Reference(patient));
		med.setMedication(Fixtures.concept("http://example.org/med", "secret-med", "Secret medication"));
		Practitioner doc = new Practitioner();
		doc.setId("doc");
		doc.addName().setFamily("Requester");

		// not an exam order (another code): plain R4, no exam profile
		ServiceRequest sr = new ServiceRequest();
		sr.addIdentifier().setSystem(SR_ID_SYSTEM).setValue(marker);
		sr.setStatus(ServiceRequest.ServiceRequestStatus.ACTIVE);
		sr.setIntent(ServiceRequest.ServiceRequestIntent.ORDER);
		sr.setCode(Fixtures.concept("http://example.org/procedures", "consult", "Consultation"));
		sr.setSubject(new Reference(patient));
		sr.addContained(dx);
		sr.addContained(med);
		sr.addContained(doc);
		sr.addReasonReference(new Reference("#dx"));
		sr.addSupportingInfo(new Reference("#med"));
		sr.setRequester(new Reference("#doc"));
		return sr;
	}

	private Specimen specimen(String marker) {
		Specimen s = new Specimen();
		s.addIdentifier().setSystem(SPECIMEN_ID_SYSTEM).setValue(marker);
		s.setSubject(new Reference(patient));
		return s;
	}

	private static Subscription subscription() {
		Subscription s = new Subscription();
		s.setStatus(Subscription.SubscriptionStatus.OFF);
		s.setReason("conditional delete test");
		s.setCriteria("Observation?code=" + Fixtures.unique("code"));
		s.getChannel().setType(Subscription.SubscriptionChannelType.RESTHOOK)
				.setEndpoint("https://ehr.example/fhir-notify").setPayload("application/fhir+json");
		return s;
	}

	private String createAs(String client, Resource resource) {
		Response r = fhirAs(client).body(json(resource)).post("/" + resource.fhirType());
		r.then().statusCode(201);
		return idFromLocation(r.header("Location"));
	}

	private static Response ok(Response r) {
		r.then().statusCode(200);
		return r;
	}

	private static ServiceRequest only(Bundle b) {
		assertThat(b.getEntry()).hasSize(1);
		return (ServiceRequest) b.getEntryFirstRep().getResource();
	}

	private static java.util.List<String> containedTypes(ServiceRequest sr) {
		return sr.getContained().stream().map(Resource::fhirType).toList();
	}
}
