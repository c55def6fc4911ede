package org.bonemarrow.server.bulk;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.batch2.api.IJobCoordinator;
import ca.uhn.fhir.util.Batch2JobDefinitionConstants;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.response.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.Tokens;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * FHIR Bulk Data $export through real HTTP, kick-off to download (Bulk Data Access 2.0.0): four exports in
 * all (system, system without _type, Patient, Group) and one cancelled, each polled with a deadline.
 */
@FhirServerTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BulkExportRestTest extends RestTestBase {

	private static final ObjectMapper JSON = new ObjectMapper();
	private static final Duration DEADLINE = Duration.ofSeconds(60);

	@Autowired
	IJobCoordinator jobs;

	private String oldPatient;
	private String since;
	private String patientA;
	private String patientB;
	private String conditionA;
	private String conditionB;
	private String group;

	@BeforeAll
	void data() throws InterruptedException {
		io.restassured.RestAssured.port = port;
		io.restassured.RestAssured.basePath = "/fhir";
		oldPatient = create(Fixtures.patient(Fixtures.unique("MRN-OLD")));
		Instant oldUpdated = parse(fhir().get("/" + oldPatient), Patient.class).getMeta().getLastUpdated().toInstant();
		// _since is inclusive: one millisecond after the old patient, and new ones strictly later.
		Instant after = oldUpdated.plusMillis(1);
		while (!Instant.now().isAfter(after.plusMillis(1))) {
			Thread.onSpinWait();
		}
		since = new InstantType(java.util.Date.from(after)).getValueAsString();
		patientA = create(Fixtures.patient(Fixtures.unique("MRN-A")));
		patientB = create(Fixtures.patient(Fixtures.unique("MRN-B")));
		conditionA = create(condition(patientA));
		conditionB = create(condition(patientB));
		Group g = new Group();
		g.setType(Group.GroupType.PERSON).setActual(true);
		g.addMember().setEntity(new Reference(patientA));
		group = create(g);
	}

	@Test
	void systemExportKickOffPollDownload() {
		long started = System.nanoTime();
		Response kickOff = kickOff(Tokens.TEST_ADMIN, "/$export?_type=Patient,Condition,AuditEvent&_since=" + since);
		Map<String, List<IBaseResource>> files = downloadAll(Tokens.TEST_ADMIN, poll(Tokens.TEST_ADMIN, kickOff));
		System.out.printf("bulk export (system, 3 types) took %d ms%n", (System.nanoTime() - started) / 1_000_000);

		assertThat(files.keySet()).isSubsetOf("Patient", "Condition", "AuditEvent").contains("Patient", "Condition", "AuditEvent");
		assertThat(ids(files, "Patient")).contains(patientA, patientB).doesNotContain(oldPatient);
		assertThat(ids(files, "Condition")).contains(conditionA, conditionB);
		assertThat(ids(files, "Group")).isEmpty();

		// Each download is a Binary read, audited like any other (BALP).
		String file = poll(Tokens.TEST_ADMIN, kickOff).get("output").get(0).get("url").asText();
		String binary = file.substring(file.indexOf("Binary/"));
		awaitAudit("/AuditEvent?entity=" + binary, binary);
	}

	@Test
	void theClientCancelsItsExportWithDelete() {
		Response kickOff = kickOff(Tokens.TEST_ADMIN, "/$export?_type=Patient&_since=" + since);
		Response cancel = fhir().delete(kickOff.header("Content-Location"));
		assertThat(cancel.statusCode()).as(cancel.asString()).isEqualTo(202);
		assertThat(outcome(cancel).getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.INFORMATION);
	}

	@Test
	void exportsBelongToTheClientThatStartedThem() {
		Response kickOff = kickOff(Tokens.TEST_ADMIN, "/$export?_type=Patient&_since=" + since);
		String pollUrl = kickOff.header("Content-Location");
		JsonNode manifest = poll(Tokens.TEST_ADMIN, kickOff);
		String fileUrl = manifest.get("output").get(0).get("url").asText();
		String jobId = pollUrl.substring(pollUrl.indexOf("_jobId=") + "_jobId=".length());

		Response otherPoll = fhirAs("integration").get(pollUrl);
		assertThat(otherPoll.statusCode()).isEqualTo(403);
		assertThat(diagnostics(otherPoll)).contains("started by another client");
		assertThat(fhirAs("integration").delete(pollUrl).statusCode()).isEqualTo(403);
		// The lab reads report PDFs (Binary.r), not other clients' export files.
		for (String client : List.of("integration", "lab")) {
			Response download = fhirAs(client).get(fileUrl);
			assertThat(download.statusCode()).as(client).isEqualTo(403);
			assertThat(diagnostics(download)).contains("another client's export");
		}

		// Audited: the client, the level, the types, the job.
		AuditEvent audit = auditOfJob(jobId);
		assertThat(audit.getAgentFirstRep().getWho().getIdentifier().getValue()).isEqualTo(Tokens.TEST_ADMIN);
		assertThat(audit.getSubtype()).anyMatch(c -> "export".equals(c.getCode()));
		assertThat(audit.getEntity()).anyMatch(e -> "Patient".equals(e.getWhat().getType()));
	}

	@Test
	void withoutTypeTheExportHoldsWhatTheClientMayReadAndNeverAuditEventsThroughTheWildcard() {
		Response kickOff = kickOff("integration", "/$export?_since=" + since);
		Map<String, List<IBaseResource>> files = downloadAll("integration", poll("integration", kickOff));
		assertThat(ids(files, "Patient")).contains(patientA, patientB);
		assertThat(files).doesNotContainKey("AuditEvent").doesNotContainKey("Binary");

		int jobsBefore = exportJobs();
		Response refused = fhirAs("integration").header("Prefer", "respond-async").get("/$export?_type=Patient,AuditEvent");
		assertThat(refused.statusCode()).isEqualTo(403);
		assertThat(diagnostics(refused)).contains("may not export AuditEvent");
		Response auditor = fhirAs("auditor").header("Prefer", "respond-async").get("/$export?_type=Patient");
		assertThat(auditor.statusCode()).isEqualTo(403);
		assertThat(diagnostics(auditor)).contains("may not export Patient");
		Response auditorGroup = fhirAs("auditor").header("Prefer", "respond-async").get("/" + group + "/$export");
		assertThat(auditorGroup.statusCode()).isEqualTo(403);
		assertThat(diagnostics(auditorGroup)).contains("Group");
		assertThat(exportJobs()).as("no job for a refused export").isEqualTo(jobsBefore);
	}

	@Test
	void patientAndGroupExportsHoldTheirPatientsDataOnly() {
		Map<String, List<IBaseResource>> patient = downloadAll(Tokens.TEST_ADMIN,
				poll(Tokens.TEST_ADMIN, kickOff(Tokens.TEST_ADMIN, "/" + patientA + "/$export?_type=Patient,Condition")));
		assertThat(ids(patient, "Patient")).containsExactly(patientA);
		assertThat(ids(patient, "Condition")).containsExactly(conditionA);

		Map<String, List<IBaseResource>> members = downloadAll("integration",
				poll("integration", kickOff("integration", "/" + group + "/$export?_type=Condition")));
		assertThat(ids(members, "Condition")).containsExactly(conditionA);
		assertThat(members.keySet()).containsOnly("Condition");
	}

	// --- helpers ---

	private Response kickOff(String client, String path) {
		Response r = fhirAs(client).header("Prefer", "respond-async").get(path);
		assertThat(r.statusCode()).as(r.asString()).isEqualTo(202);
		assertThat(r.header("Content-Location")).contains("$export-poll-status?_jobId=");
		return r;
	}

	/** Polls the Content-Location until 200 (202 with X-Progress meanwhile), within the deadline. */
	private JsonNode poll(String client, Response kickOff) {
		String url = kickOff.header("Content-Location");
		Instant deadline = Instant.now().plus(DEADLINE);
		while (true) {
			Response r = fhirAs(client).get(url);
			if (r.statusCode() == 200) {
				try {
					JsonNode manifest = JSON.readTree(r.asString());
					assertThat(manifest.get("requiresAccessToken").asBoolean()).isTrue();
					return manifest;
				} catch (java.io.IOException e) {
					throw new AssertionError(e);
				}
			}
			assertThat(r.statusCode()).as(r.asString()).isEqualTo(202);
			assertThat(r.header("X-Progress")).isNotBlank();
			assertThat(r.header("Retry-After")).isEqualTo("10");
			if (Instant.now().isAfter(deadline)) {
				throw new AssertionError("export not done within " + DEADLINE + ": " + r.header("X-Progress"));
			}
			try {
				Thread.sleep(200);
			} catch (InterruptedException e) {
				throw new AssertionError(e);
			}
		}
	}

	/** Every output file, type by type, parsed line by line. */
	private Map<String, List<IBaseResource>> downloadAll(String client, JsonNode manifest) {
		Map<String, List<IBaseResource>> byType = new LinkedHashMap<>();
		for (JsonNode output : manifest.get("output")) {
			Response file = fhirAs(client).accept("application/fhir+ndjson").get(output.get("url").asText());
			assertThat(file.statusCode()).isEqualTo(200);
			for (String line : file.asString().split("\n")) {
				if (!line.isBlank()) {
					IBaseResource resource = CTX.newJsonParser().parseResource(line);
					assertThat(resource.fhirType()).isEqualTo(output.get("type").asText());
					byType.computeIfAbsent(resource.fhirType(), t -> new ArrayList<>()).add(resource);
				}
			}
		}
		return byType;
	}

	private static Set<String> ids(Map<String, List<IBaseResource>> files, String type) {
		Set<String> ids = new TreeSet<>();
		files.getOrDefault(type, List.of()).forEach(r -> ids.add(r.getIdElement().toUnqualifiedVersionless().getValue()));
		return ids;
	}

	private AuditEvent auditOfJob(String jobId) {
		Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
		while (true) {
			Bundle events = bundle(fhir().get("/AuditEvent?type=http://dicom.nema.org/resources/ontology/DCM|110106"
					+ "&_sort=-_lastUpdated&_count=50"));
			for (Bundle.BundleEntryComponent e : events.getEntry()) {
				AuditEvent event = (AuditEvent) e.getResource();
				if (event.getEntity().stream().anyMatch(en -> jobId.equals(en.getWhat().getIdentifier().getValue()))) {
					return event;
				}
			}
			if (Instant.now().isAfter(deadline)) {
				throw new AssertionError("no export AuditEvent for job " + jobId);
			}
			try {
				Thread.sleep(200);
			} catch (InterruptedException e) {
				throw new AssertionError(e);
			}
		}
	}

	private void awaitAudit(String search, String what) {
		Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
		while (bundle(fhir().get(search)).getEntry().isEmpty()) {
			if (Instant.now().isAfter(deadline)) {
				throw new AssertionError("no AuditEvent for " + what);
			}
			try {
				Thread.sleep(200);
			} catch (InterruptedException e) {
				throw new AssertionError(e);
			}
		}
	}

	private int exportJobs() {
		return (int) jobs.getInstances(10_000, 0).stream()
				.filter(j -> Batch2JobDefinitionConstants.BULK_EXPORT.equals(j.getJobDefinitionId())).count();
	}

	private static String diagnostics(Response r) {
		return CTX.newJsonParser().parseResource(OperationOutcome.class, r.asString()).getIssueFirstRep().getDiagnostics();
	}

	private static Condition condition(String patient) {
		Condition c = new Condition();
		c.setSubject(new Reference(patient));
		c.getCode().setText("bulk export test condition");
		return c;
	}
}
