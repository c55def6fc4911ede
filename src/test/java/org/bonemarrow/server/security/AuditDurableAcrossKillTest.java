package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.support.Fixtures.*;

import ca.uhn.fhir.context.FhirContext;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.bonemarrow.server.security.audit.AuditOutbox;
import org.bonemarrow.server.support.ServerProcess;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

/**
 * The audit trail is as durable as the data: a write answered 2xx and then {@code kill -9} still has its
 * AuditEvent after the restart, stored exactly once. The real server as a child process on its own H2
 * folder (see DurabilityAcrossKillTest).
 *
 * <p>Why the test can fail: the writer waits up to 200 ms after a commit for more events before storing
 * them, and the kill follows the answer within milliseconds, so at the kill the event exists only where
 * the write's transaction put it. The test reads the killed server's database file to show that: the
 * event was still an outbox row. (Before the outbox it sat in the writer's memory queue and was lost.)
 *
 * <p>H2 only, like DurabilityAcrossKillTest: the child process runs on its own H2 folder whatever the build.
 */
@DisabledIfSystemProperty(named = "spring.profiles.active", matches = "postgres")
class AuditDurableAcrossKillTest {

	private static final FhirContext CTX = FhirContext.forR4Cached();

	@Test
	void theAuditEventOfAWriteAnsweredBeforeKill9IsThereAfterTheRestart_once() throws Exception {
		Path dataDir = Files.createDirectories(Path.of("target", "audit-kill-" + unique("h2")));
		Path log = dataDir.resolve("server.log");
		String examClientEvent;
		String patient;

		try (ServerProcess first = ServerProcess.start(dataDir, log)) {
			// An exam transaction, and its AuditEvent stored: the writer is idle again afterwards, so the last
			// write below finds it waiting, not in the middle of a round that could take the new row at once.
			Response tx = first.fhir(first.token("department"))
					.body(CTX.newJsonParser().encodeResourceToString(examTransaction(unique("MRN"), unique("PO"))))
					.post("/");
			assertThat(tx.statusCode()).isEqualTo(200);
			String observation = CTX.newJsonParser().parseResource(Bundle.class, tx.asString()).getEntry().stream()
					.map(e -> e.getResponse().getLocation()).filter(l -> l.startsWith("Observation/"))
					.findFirst().orElseThrow().replaceAll("/_history.*", "");
			examClientEvent = "entity=" + observation + "&action=C&agent-name=department";
			Awaitility.await("exam audited").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
					.until(() -> auditEvents(first, examClientEvent).size() == 1);
			// The auditor's searches are audited too (from memory): let the writer's round for them end.
			Thread.sleep(600);

			Response created = first.fhir(first.token("ehr"))
					.body(CTX.newJsonParser().encodeResourceToString(patient(unique("MRN")))).post("/Patient");
			assertThat(created.statusCode()).isEqualTo(201);
			first.kill9();
			patient = created.header("Location").replaceAll(".*/fhir/", "").replaceAll("/_history.*", "");
		}

		assertThat(outboxRows(dataDir, patient))
				.as("at the kill the answered write's event was an outbox row, not yet an AuditEvent")
				.isEqualTo(1);

		try (ServerProcess second = ServerProcess.start(dataDir, log)) {
			String query = "entity=" + patient + "&action=C";
			List<AuditEvent> events = Awaitility.await("the killed write's AuditEvent").atMost(Duration.ofSeconds(60))
					.pollInterval(Duration.ofMillis(250)).until(() -> auditEvents(second, query), list -> !list.isEmpty());
			assertThat(events).hasSize(1);
			AuditEvent event = events.get(0);
			assertThat(event.getAgent()).extracting(AuditEvent.AuditEventAgentComponent::getName).contains("ehr");
			assertThat(event.getOutcome()).isEqualTo(AuditEvent.AuditEventOutcome._0);
			assertThat(event.getType().getCode()).isEqualTo("rest");
			// What was stored before the kill is not stored again.
			assertThat(auditEvents(second, examClientEvent)).hasSize(1);
			assertThat(second.stop()).isIn(0, 143);
		}
		assertThat(outboxRows(dataDir, patient)).as("the row went with the AuditEvent made of it").isZero();
	}

	private static List<AuditEvent> auditEvents(ServerProcess server, String query) {
		Response r = server.fhir(server.token("auditor")).get("/AuditEvent?" + query);
		r.then().statusCode(200);
		return CTX.newJsonParser().parseResource(Bundle.class, r.asString()).getEntry().stream()
				.map(e -> (AuditEvent) e.getResource()).toList();
	}

	/** Outbox rows naming the resource, read from the database file of a server that is not running. */
	private static int outboxRows(Path dataDir, String resource) throws SQLException {
		String url = "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("h2/fhir") + ";IFEXISTS=TRUE;TRACE_LEVEL_FILE=0";
		try (Connection c = DriverManager.getConnection(url, "sa", "");
				PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM " + AuditOutbox.TABLE + " WHERE EVENT LIKE ?")) {
			s.setString(1, "%\"" + resource + "/_history/%");
			try (ResultSet rs = s.executeQuery()) {
				rs.next();
				return rs.getInt(1);
			}
		}
	}
}
