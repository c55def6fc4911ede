package org.bonemarrow.server.console.operations;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restassured.response.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.bonemarrow.server.console.operations.ConsoleAuditSearch.AuditRow;
import org.bonemarrow.server.console.operations.ConsoleAuditSearch.Criteria;
import org.bonemarrow.server.console.operations.ConsoleDeliveries.DeliveryRow;
import org.bonemarrow.server.console.operations.ConsoleDeliveries.Filter;
import org.bonemarrow.server.console.operations.ConsoleDeliveries.ReceiverSummary;
import org.bonemarrow.server.console.operations.ConsoleV2Messages.RefusedWrite;
import org.bonemarrow.server.console.operations.ConsoleV2Messages.V2Message;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.TestReceiver;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The console's operations data in the shared server: a delivery that fails, becomes a dead letter, is
 * replayed by a console user and delivered (the replay audited with that user); a refused HL7 v2 message
 * listed with its ERR code, location and reason; refused report writes; an audit search by patient that
 * finds its own record.
 */
@FhirServerTest
class OperationsConsoleRestTest extends RestTestBase {

	private static final Duration WAIT = Duration.ofSeconds(30);
	private static final Duration POLL = Duration.ofMillis(200);
	private static final List<String> ENGINEER = List.of("integration-engineer");

	@Autowired
	ConsoleDeliveries deliveries;
	@Autowired
	ConsoleV2Messages v2Messages;
	@Autowired
	ConsoleAuditSearch auditSearch;
	@Autowired
	DataSource dataSource;

	@Test
	void aFailingDeliveryBecomesADeadLetter_isReplayedByAConsoleUser_andIsDelivered() throws Exception {
		String family = "Consolefamily" + Fixtures.unique("x").substring(2).replace("-", "");
		String engineer = Fixtures.unique("engineer");
		TestReceiver down = new TestReceiver(Integer.MAX_VALUE);
		int receiverPort = Integer.parseInt(down.endpoint().replaceAll("^http://127\\.0\\.0\\.1:(\\d+)/.*$", "$1"));
		String subscription;
		String patient;
		DeliveryRow failing;
		try {
			subscription = activeRestHookSubscription("Patient?family=" + family, down.endpoint());
			Patient p = Fixtures.patient(Fixtures.unique("MRN"));
			p.getNameFirstRep().setFamily(family);
			patient = create(p);

			// Failing: still pending, with the receiver's answer as the last error and a next attempt.
			Filter failingFilter = new Filter("failing", null, subscription);
			failing = await("a failed attempt").atMost(WAIT).pollInterval(POLL)
					.until(() -> deliveries.list(failingFilter, Paging.of(0, 25)).items(), rows -> rows.size() == 1).get(0);
			assertThat(failing.state()).isEqualTo("failing");
			assertThat(failing.resource()).startsWith(patient + "/_history/");
			assertThat(failing.attempts()).isPositive();
			assertThat(failing.lastError()).isNotBlank();
			assertThat(failing.nextAttempt()).isNotNull();
			assertThat(failing.replayable()).isFalse();

			// The 72 h retry window closing, made to happen now: the dispatcher's own dead-lettering is
			// ReceiverOutageProcessTest's (a process with a short window); this test is about the console.
			JdbcTemplate jdbc = new JdbcTemplate(dataSource);
			await("dead-lettered between attempts").atMost(WAIT).pollInterval(Duration.ofMillis(50))
					.until(() -> jdbc.update("UPDATE BME_DELIVERY SET STATE = 'DEAD', DONE_AT = ? WHERE ID = ?"
							+ " AND STATE = 'PENDING' AND LEASE_OWNER IS NULL", Instant.now().toEpochMilli(), failing.number()) == 1);
		} finally {
			down.close();
		}

		ResultPage<DeliveryRow> dead = deliveries.list(new Filter("dead", null, subscription), Paging.of(0, 25));
		assertThat(dead.total()).isEqualTo(1);
		DeliveryRow row = dead.items().get(0);
		assertThat(row.id()).isEqualTo(failing.id());
		assertThat(row.replayable()).isTrue();
		assertThat(row.lastError()).isNotBlank();
		assertThat(row.nextAttempt()).isNull();
		ReceiverSummary summary = deliveries.receivers().stream().filter(r -> r.name().equals(subscription)).findFirst()
				.orElseThrow();
		assertThat(summary.dead()).isEqualTo(1);
		assertThat(summary.pending()).isZero();
		assertThat(deliveries.list(new Filter("dead", null, null), Paging.of(0, 100)).items())
				.extracting(DeliveryRow::id).contains(row.id());

		try (TestReceiver up = new TestReceiver(0, receiverPort)) {
			ConsoleDeliveries.ReplayOutcome replayed = deliveries.replay(row.id(), engineer, ENGINEER);
			assertThat(replayed.replayed()).as(replayed.message()).isTrue();
			await("delivered after the replay").atMost(WAIT).pollInterval(POLL).until(() -> up.deliveries.size() == 1);
			assertThat(up.deliveries.get(0).deliveryId()).isEqualTo(row.id());
			DeliveryRow delivered = await("listed as delivered").atMost(WAIT).pollInterval(POLL)
					.until(() -> deliveries.list(new Filter("delivered", null, subscription), Paging.of(0, 25)).items(),
							rows -> rows.size() == 1).get(0);
			assertThat(delivered.id()).isEqualTo(row.id());
			assertThat(delivered.replays()).isEqualTo(1);

			// A second press: no longer a dead letter, refused, and that is audited too.
			ConsoleDeliveries.ReplayOutcome again = deliveries.replay(row.id(), engineer, ENGINEER);
			assertThat(again.replayed()).isFalse();
			assertThat(again.message()).contains("not a dead letter");
		}

		// The replay is in the audit trail with the console user, not a client, as the agent.
		List<AuditEvent> replays = await("replay audited").atMost(WAIT).pollInterval(POLL)
				.until(() -> auditEvents("/AuditEvent?agent-name:exact=" + engineer + "&_sort=date"), e -> e.size() == 2);
		AuditEvent accepted = replays.get(0);
		assertThat(accepted.getType().getCode()).isEqualTo("110106");
		assertThat(accepted.getOutcome()).isEqualTo(AuditEvent.AuditEventOutcome._0);
		assertThat(accepted.getAgentFirstRep().getRequestor()).isTrue();
		assertThat(accepted.getAgentFirstRep().getWho().getIdentifier().getSystem())
				.isEqualTo("https://bonemarrow-exam.example/fhir/sid/console-user");
		assertThat(accepted.getAgentFirstRep().getRoleFirstRep().getCodingFirstRep().getCode()).isEqualTo("integration-engineer");
		assertThat(accepted.getEntityFirstRep().getWhat().getReference()).isEqualTo(patient);
		assertThat(accepted.getEntityFirstRep().getName()).isEqualTo(row.id());
		assertThat(replays.get(1).getOutcome()).isEqualTo(AuditEvent.AuditEventOutcome._4);
		assertThat(replays.get(1).getOutcomeDesc()).contains("not a dead letter");
		fhir().delete("/" + subscription).then().statusCode(200);
	}

	@Test
	void aRefusedHl7v2MessageIsListedWithItsErrorAndNoPatientData() throws Exception {
		String controlId = Fixtures.unique("MSG-CONSOLE");
		String message = Files.readString(Path.of("sample-bundles/v2/order-missing-patient-identifier.invalid.hl7"))
				.replace("MSG-V2-0102", controlId).replace("PO-V2-0102", Fixtures.unique("PO-CONSOLE"));
		Response ack = given().port(port).basePath("").contentType("x-application/hl7-v2+er7; charset=UTF-8")
				.body(message.getBytes(StandardCharsets.UTF_8)).auth().preemptive().oauth2(token("ehr")).post("/hl7v2");
		assertThat(ack.asString()).contains("MSA|AE|" + controlId);

		LocalDate today = LocalDate.now(ZoneOffset.UTC);
		ConsoleV2Messages.Filter refusedOrders = new ConsoleV2Messages.Filter("AE", "ehr", "ORM^O01", today.minusDays(1),
				today.plusDays(1));
		V2Message listed = await("listed").atMost(WAIT).pollInterval(POLL)
				.until(() -> find(v2Messages.list(refusedOrders, Paging.of(0, 100)).items(), controlId), Optional::isPresent)
				.get();
		assertThat(listed.ack()).isEqualTo("AE");
		assertThat(listed.refused()).isTrue();
		assertThat(listed.sender()).isEqualTo("ehr");
		assertThat(listed.type()).isEqualTo("ORM^O01");
		assertThat(listed.errorCode()).isEqualTo("101");
		assertThat(listed.errorLocation()).isEqualTo("PID-3");
		assertThat(listed.error()).contains("PID-3 (patient identifier list) is empty").doesNotContain("Ada")
				.doesNotContain("Fictional");
		assertThat(listed.received()).isNotNull();

		// Each filter excludes it when it does not match.
		assertThat(find(v2Messages.list(new ConsoleV2Messages.Filter("AA", "ehr", null, null, null), Paging.of(0, 100))
				.items(), controlId)).isEmpty();
		assertThat(find(v2Messages.list(new ConsoleV2Messages.Filter(null, "lab", null, null, null), Paging.of(0, 100))
				.items(), controlId)).isEmpty();
		assertThat(find(v2Messages.list(new ConsoleV2Messages.Filter(null, null, "ORU^R01", null, null), Paging.of(0, 100))
				.items(), controlId)).isEmpty();
		assertThat(find(v2Messages.list(new ConsoleV2Messages.Filter(null, null, null, today.plusDays(1), null),
				Paging.of(0, 100)).items(), controlId)).isEmpty();
		assertThat(find(v2Messages.list(new ConsoleV2Messages.Filter(null, null, "ORM", today, today), Paging.of(0, 100))
				.items(), controlId)).isPresent();
	}

	@Test
	void refusedReportWrites_aloneOrInATransaction_areListed() {
		Instant before = Instant.now().minusSeconds(1);
		// About a patient this server does not have: refused (referential integrity), alone and in a transaction.
		DiagnosticReport report = new DiagnosticReport().setStatus(DiagnosticReport.DiagnosticReportStatus.FINAL);
		report.getCode().setText("bone marrow report");
		report.setSubject(new Reference("Patient/" + Fixtures.unique("no-such-patient")));
		Response alone = fhirAs("lab").body(json(report)).post("/DiagnosticReport");
		assertThat(alone.statusCode()).isBetween(400, 499);
		Bundle transaction = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		transaction.addEntry().setFullUrl(Fixtures.urn()).setResource(report).getRequest()
				.setMethod(Bundle.HTTPVerb.POST).setUrl("DiagnosticReport");
		Response inTransaction = fhirAs("lab").body(json(transaction)).post("");
		assertThat(inTransaction.statusCode()).isBetween(400, 499);

		LocalDate today = LocalDate.now(ZoneOffset.UTC);
		List<RefusedWrite> rows = await("refused writes listed").atMost(WAIT).pollInterval(POLL)
				.until(() -> v2Messages.refusedReports(today.minusDays(1), today.plusDays(1), Paging.of(0, 25)).items()
						.stream().filter(r -> r.at().isAfter(before) && "lab".equals(r.client())).toList(), r -> r.size() >= 2);
		assertThat(rows).anySatisfy(r -> {
			assertThat(r.interaction()).isEqualTo("create");
			assertThat(r.target()).isEqualTo("DiagnosticReport");
			assertThat(r.status()).isEqualTo("HTTP " + alone.statusCode());
		});
		assertThat(rows).anySatisfy(r -> {
			assertThat(r.interaction()).isEqualTo("transaction");
			assertThat(r.carried()).contains("DiagnosticReport");
			assertThat(r.status()).isEqualTo("HTTP " + inTransaction.statusCode());
		});
	}

	@Test
	void anAuditSearchByPatientIsItselfAuditedAndFoundByTheNextSearch() {
		String patient = create(Fixtures.patient(Fixtures.unique("MRN")));
		String auditor = Fixtures.unique("auditor");
		Criteria byPatient = new Criteria(null, patient, null, null, null, null);
		List<AuditRow> first = await("the patient's create audited").atMost(WAIT).pollInterval(POLL)
				.until(() -> auditSearch.search(byPatient, Paging.of(0, 25), auditor, List.of("auditor")).items(),
						rows -> !rows.isEmpty());
		// BALP names the version written (Patient/12/_history/1); patient= finds it all the same.
		assertThat(first).allSatisfy(r -> assertThat(r.entities())
				.anyMatch(e -> e.equals(patient) || e.startsWith(patient + "/_history/")));

		List<AuditRow> rows = await("the search's own record").atMost(WAIT).pollInterval(POLL)
				.until(() -> auditSearch.search(new Criteria(auditor, patient, null, "0", null, null), Paging.of(0, 25),
						auditor, List.of("auditor")).items(), r -> !r.isEmpty());
		assertThat(rows).allSatisfy(search -> {
			assertThat(search.type()).isEqualTo("Query");
			assertThat(search.subtype()).isEqualTo("audit-search");
			assertThat(search.agents()).containsExactly(auditor);
			assertThat(search.entities()).contains(patient);
		});
		// The first searches' records (this one's polls may have added their own, with more criteria).
		List<AuditEvent> stored = rows.stream().map(r -> parse(fhir().get("/AuditEvent/" + r.id()), AuditEvent.class)).toList();
		assertThat(stored).anySatisfy(e -> {
			assertThat(e.getEntityFirstRep().getDescription()).isEqualTo("patient=" + patient);
			assertThat(new String(e.getEntityFirstRep().getQuery(), StandardCharsets.UTF_8))
					.isEqualTo("AuditEvent?patient=" + patient);
		});
	}

	private static Optional<V2Message> find(List<V2Message> messages, String controlId) {
		return messages.stream().filter(m -> controlId.equals(m.controlId())).findFirst();
	}

	private List<AuditEvent> auditEvents(String search) {
		return bundle(fhir().get(search)).getEntry().stream().map(e -> (AuditEvent) e.getResource()).toList();
	}

}
