package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ca.uhn.fhir.interceptor.api.IInterceptorService;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.List;
import org.bonemarrow.server.adapter.OrderCreatesProcedureAndTask;
import org.bonemarrow.server.security.audit.AuditEvents;
import org.bonemarrow.server.security.audit.AuditEventsNotSubscribable;
import org.bonemarrow.server.security.audit.AuditTrail;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Every interaction leaves an AuditEvent: who (the OAuth client), what (the resource), which action,
 * and the outcome; the adapter's writes name the rule. Read back as the auditor, the only role that can.
 */
@FhirServerTest
class AuditTrailRestTest extends RestTestBase {

	@Autowired
	private IInterceptorService jpaInterceptors;
	@Autowired
	private AuditTrail auditTrail;

	@Test
	void aCreateIsAuditedWithClientActionAndSuccess() {
		String patient = createAs("ehr", Fixtures.patient(Fixtures.unique("MRN")));
		AuditEvent event = awaitEvents("entity=" + patient + "&action=C").get(0);
		assertThat(event.getOutcome()).isEqualTo(AuditEvent.AuditEventOutcome._0);
		assertThat(event.getAgent()).extracting(a -> a.getName()).contains("ehr");
		assertThat(event.getType().getCode()).isEqualTo("rest");
	}

	@Test
	void anAuditedResourceCanStillBeDeleted_andItsEventsKeepTheReference() {
		String patient = createAs("ehr", Fixtures.patient(Fixtures.unique("MRN")));
		awaitEvents("entity=" + patient + "&action=C");
		Response deleted = fhir().delete("/" + patient);
		assertThat(deleted.statusCode()).as(deleted.asString()).isEqualTo(200);
		fhirAs("integration").get("/" + patient).then().statusCode(410);
		assertThat(awaitEvents("entity=" + patient + "&action=C").get(0).getEntity())
				.anySatisfy(e -> assertThat(e.getWhat().getReference()).startsWith(patient + "/"));
	}

	@Test
	void aReadAndASearchAreAudited() {
		String patient = createAs("ehr", Fixtures.patient(Fixtures.unique("MRN")));
		fhirAs("integration").get("/" + patient).then().statusCode(200);
		AuditEvent read = awaitEvents("entity=" + patient + "&action=R&agent-name=integration").get(0);
		assertThat(read.getOutcome()).isEqualTo(AuditEvent.AuditEventOutcome._0);
		// A search that shows the patient (BALP), and one that finds nothing (ours): both are recorded.
		fhirAs("integration").get("/Patient?_id=" + patient.split("/")[1]).then().statusCode(200);
		assertThat(awaitEvents("entity=" + patient + "&action=E&agent-name=integration")).isNotEmpty();
		String nothing = Fixtures.unique("nothing");
		fhirAs("integration").get("/ServiceRequest?identifier=" + nothing).then().statusCode(200);
		await("empty search audited").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
				.until(() -> events("agent-name=integration&action=E&_sort=-date&_count=50").stream()
						.filter(e -> e.getEntityFirstRep().hasQuery())
						.anyMatch(e -> new String(e.getEntityFirstRep().getQuery()).contains(nothing)));
	}

	@Test
	void aRefusedRequestIsAuditedAsAFailure() {
		String patient = createAs("ehr", Fixtures.patient(Fixtures.unique("MRN")));
		fhirAs("lab").delete("/" + patient).then().statusCode(403);
		AuditEvent refused = awaitEvents("entity=" + patient + "&agent-name=lab&outcome=4").get(0);
		assertThat(refused.getOutcomeDesc()).isEqualTo("HTTP 403");
		assertThat(refused.getAction()).isEqualTo(AuditEvent.AuditEventAction.D);
	}

	@Test
	void unauthenticatedAttemptsAreAuditedToo() {
		String patient = createAs("ehr", Fixtures.patient(Fixtures.unique("MRN")));
		anonymous().get("/" + patient).then().statusCode(401);
		AuditEvent refused = awaitEvents("entity=" + patient + "&agent-name=unauthenticated").get(0);
		assertThat(refused.getOutcomeDesc()).isEqualTo("HTTP 401");
	}

	@Test
	void aTransactionIsOneEventOfTheClient_namingEveryResourceItWrote() {
		Response r = fhirAs("department").body(json(Fixtures.examTransaction(Fixtures.unique("MRN"), Fixtures.unique("PO"))))
				.post("/");
		r.then().statusCode(200);
		List<String> written = bundle(r).getEntry().stream()
				.map(e -> e.getResponse().getLocation().replaceAll("/_history/.*", "")).toList();
		assertThat(written).hasSize(7);

		String observation = written.stream().filter(id -> id.startsWith("Observation/")).findFirst().orElseThrow();
		List<AuditEvent> events = awaitEvents("entity=" + observation + "&action=C&agent-name=department");
		assertThat(events).hasSize(1);
		assertThat(events.get(0).getEntity()).filteredOn(e -> e.getWhat().hasReference())
				.extracting(e -> e.getWhat().getReference().replaceAll("/_history/.*", "")).containsAll(written);
		// The same single event is what a search by any other resource of the Bundle finds (beside the adapter's
		// own event for what its rules wrote about the order, which names the rule as a second agent).
		String order = written.stream().filter(id -> id.startsWith("ServiceRequest/")).findFirst().orElseThrow();
		assertThat(events("entity=" + order + "&action=C&agent-name=department"))
				.filteredOn(e -> e.getAgent().stream().noneMatch(a -> a.getName() != null && a.getName().startsWith("adapter:")))
				.extracting(e -> e.getIdElement().getIdPart()).containsExactly(events.get(0).getIdElement().getIdPart());
	}

	@Test
	void theAdaptersWritesAreAuditedWithTheRuleAsAgent() {
		String patient = createAs("ehr", Fixtures.patient(Fixtures.unique("MRN")));
		String order = createAs("ehr", Fixtures.order(Fixtures.unique("PO"), patient));
		String task = bundle(fhir().get("/Task?focus=" + order)).getEntryFirstRep().getResource()
				.getIdElement().toUnqualifiedVersionless().getValue();
		AuditEvent created = awaitEvents("entity=" + task + "&action=C").get(0);
		assertThat(created.getAgent()).extracting(a -> a.getName())
				.contains("ehr", "adapter:" + OrderCreatesProcedureAndTask.RULE);
	}

	@Test
	void aBurstOfEventsIsStoredWhole_inBatches() {
		// More events at once than one batch holds, each referring to a stored resource (so each create
		// resolves a reference while the batch's earlier events are still unflushed): every one is stored.
		String patient = createAs("ehr", Fixtures.patient(Fixtures.unique("MRN")));
		String client = Fixtures.unique("burst");
		int count = AuditTrail.MAX_BATCH * 2 + 7;
		for (int i = 0; i < count; i++) {
			auditTrail.recordAuditEvent(AuditEvents.failed(client, null, patient, 400, null));
		}
		await("burst stored").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(auditTrail::idle);
		assertThat(events("agent-name=" + client + "&_count=" + (count + 10))).hasSize(count)
				.allSatisfy(e -> assertThat(e.getEntityFirstRep().getWhat().getReference()).isEqualTo(patient));
	}

	@Test
	void auditEventsAreWithheldFromSubscriptionMatching() {
		// The hook itself: AuditEventsNotSubscribableTest. Here: it is where the subscription submitter asks.
		assertThat(jpaInterceptors.getAllRegisteredInterceptors()).hasAtLeastOneElementOfType(AuditEventsNotSubscribable.class);
	}

	@Test
	void onlyTheAuditorScopeReadsTheTrail() {
		assertThat(fhirAs("auditor").get("/AuditEvent?_count=1").statusCode()).isEqualTo(200);
		for (String client : List.of("ehr", "lab", "integration")) {
			assertThat(fhirAs(client).get("/AuditEvent?_count=1").statusCode()).as(client).isEqualTo(403);
		}
	}

	private List<AuditEvent> awaitEvents(String query) {
		return await(query).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
				.until(() -> events(query), list -> !list.isEmpty());
	}

	private List<AuditEvent> events(String query) {
		Response r = fhirAs("auditor").get("/AuditEvent?" + query);
		r.then().statusCode(200);
		Bundle b = bundle(r);
		return b.getEntry().stream().map(e -> (AuditEvent) e.getResource()).toList();
	}

	private String createAs(String client, Resource resource) {
		Response r = fhirAs(client).body(json(resource)).post("/" + resource.fhirType());
		r.then().statusCode(201);
		return idFromLocation(r.header("Location"));
	}
}
