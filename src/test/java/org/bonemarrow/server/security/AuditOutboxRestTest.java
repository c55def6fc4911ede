package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import io.restassured.response.Response;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.bonemarrow.server.security.audit.AuditEvents;
import org.bonemarrow.server.security.audit.AuditOutbox;
import org.bonemarrow.server.security.audit.AuditTrail;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.Tokens;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The AuditEvents of writes go through the audit outbox ({@link AuditOutbox}): written by the write's own
 * database transaction, so from the moment the client has its answer the event is durable, either still
 * a row in {@code BME_AUDIT_OUTBOX} or already stored as an AuditEvent; a rolled-back write leaves neither
 * a row nor a success event; what the auditor reads is unchanged. The process test
 * {@link AuditDurableAcrossKillTest} shows the same across {@code kill -9}.
 */
@FhirServerTest
class AuditOutboxRestTest extends RestTestBase {

	@Autowired
	private AuditTrail auditTrail;
	@Autowired
	private IInterceptorService jpaInterceptors;
	@Autowired
	private DataSource dataSource;

	@Test
	void aCommittedWriteIsDurablyAuditedWhenAnswered_andStoredOnce() {
		awaitWriterIdle();
		Response r = fhirAs("ehr").body(json(Fixtures.patient(Fixtures.unique("MRN")))).post("/Patient");
		r.then().statusCode(201);
		String patient = idFromLocation(r.header("Location"));
		assertInOutboxAtTheAnswer(patient, "C");

		List<AuditEvent> events = awaitEvents("entity=" + patient + "&action=C");
		assertThat(events).hasSize(1);
		assertThat(events.get(0).getAgent()).extracting(a -> a.getName()).contains("ehr");
		assertThat(events.get(0).getOutcome()).isEqualTo(AuditEvent.AuditEventOutcome._0);
		await("outbox drained").atMost(Duration.ofSeconds(20)).until(auditTrail::idle);
		assertThat(outboxRows(patient, "C")).isZero();
		assertThat(events("entity=" + patient + "&action=C")).as("each row is stored exactly once").hasSize(1);
	}

	@Test
	void aConditionalDeleteIsDurablyAuditedToo_andStoredThoughItsResourceIsGone() {
		// HAPI raises a conditional delete's precommit event from a commit-time synchronization of its own,
		// after the transaction has begun to commit: the row must still be written in that transaction.
		String mrn = Fixtures.unique("MRN");
		String patient = create(Fixtures.patient(mrn));
		awaitWriterIdle();
		fhir().delete("/Patient?identifier=" + Fixtures.MRN_SYSTEM + "|" + mrn).then().statusCode(200);
		assertInOutboxAtTheAnswer(patient, "D");

		// HAPI cannot store a reference to a deleted resource: the entity names it as display text instead.
		List<AuditEvent> deleted = await("delete audited").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
				.until(() -> storedEventsNaming(patient, "D"), list -> !list.isEmpty());
		assertThat(deleted).hasSize(1);
		assertThat(deleted.get(0).getAgent()).extracting(a -> a.getName()).contains(Tokens.TEST_ADMIN);
		assertThat(deleted.get(0).getEntity()).anySatisfy(e -> {
			assertThat(e.getWhat().getDisplay()).startsWith(patient + "/_history/");
			assertThat(e.getWhat().getType()).isEqualTo("Patient");
		});
		await("outbox drained").atMost(Duration.ofSeconds(20)).until(auditTrail::idle);
		assertThat(outboxRows(patient, null)).as("no row set aside").isZero();
	}

	@Test
	void aRolledBackWriteLeavesNoOutboxRowAndNoSuccessEvent_onlyItsFailure() {
		String committedClient = Fixtures.unique("committed");
		String rolledBackClient = Fixtures.unique("rolledback");
		AuditThenMaybeRefuse refuser = new AuditThenMaybeRefuse(auditTrail, committedClient, rolledBackClient);
		Instant start = Instant.now().minusSeconds(1);
		jpaInterceptors.registerInterceptor(refuser);
		try {
			fhirAs("ehr").body(json(Fixtures.patient(committedClient))).post("/Patient").then().statusCode(201);
			fhirAs("ehr").body(json(Fixtures.patient(rolledBackClient))).post("/Patient").then().statusCode(422);
		} finally {
			jpaInterceptors.unregisterInterceptor(refuser);
		}
		String patient = refuser.rolledBackId.get();
		assertThat(patient).as("the refusing hook ran").isNotNull();
		assertThat(outboxRows(patient, null)).as("no outbox row of the rolled-back write").isZero();
		assertThat(outboxRowsNaming(rolledBackClient)).isZero();

		// The committed twin's event arrives: the in-transaction path works, so the absence below means something.
		awaitEvents("agent-name=" + committedClient);
		await("all handed over stored").atMost(Duration.ofSeconds(20)).until(auditTrail::idle);
		assertThat(events("agent-name=" + rolledBackClient)).isEmpty();
		assertThat(events("entity=" + patient)).as("BALP's event of the rolled-back create").isEmpty();
		assertThat(outboxRows(patient, null)).isZero();
		// What is recorded instead: the 422, as a failure of the ehr client's create.
		assertThat(events("agent-name=ehr&outcome=4&action=C&_sort=-date&_count=20")).anySatisfy(e -> {
			assertThat(e.getOutcomeDesc()).isEqualTo("HTTP 422");
			assertThat(e.getRecorded().toInstant()).isAfter(start);
		});
	}

	@Test
	void aRowThatCannotBeStoredIsKeptAndMarked_andDoesNotHoldUpTheOthers() {
		JdbcTemplate jdbc = new JdbcTemplate(dataSource);
		String client = Fixtures.unique("after-poison");
		String patient = create(Fixtures.patient(Fixtures.unique("MRN")));
		String good = CTX.newJsonParser().encodeResourceToString(AuditEvents.failed(client, RestOperationTypeEnum.UPDATE,
				patient, 200, null).setOutcome(AuditEvent.AuditEventOutcome._0).setOutcomeDesc(null));
		String instance = Fixtures.unique("test-instance");
		Timestamp now = Timestamp.from(Instant.now());
		// Oldest first: the unreadable row is claimed in the same round as the good one, before it.
		jdbc.update("INSERT INTO " + AuditOutbox.TABLE + " (EVENT, CREATED, INSTANCE) VALUES (?, ?, ?)",
				"{\"resourceType\":\"AuditEvent\",\"action\":", now, instance);
		jdbc.update("INSERT INTO " + AuditOutbox.TABLE + " (EVENT, CREATED, INSTANCE) VALUES (?, ?, ?)", good, now, instance);
		try {
			// Found by the writer's periodic look (no commit of this instance announced these rows). A longer
			// deadline: in the whole suite the shared writer may first drain rows the other classes left
			// (once seen taking over 30 s under full-suite load; 1 s alone).
			assertThat(await("agent-name=" + client).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
					.until(() -> events("agent-name=" + client), list -> !list.isEmpty())).hasSize(1);
			Map<String, Object> poison = await("poison row marked").atMost(Duration.ofSeconds(20))
					.until(() -> jdbc.queryForMap("SELECT ATTEMPTS, LAST_ERROR, NEXT_TRY FROM " + AuditOutbox.TABLE
							+ " WHERE INSTANCE = ?", instance), row -> ((Number) row.get("ATTEMPTS")).intValue() == 1);
			assertThat((String) poison.get("LAST_ERROR")).startsWith("DataFormatException");
			assertThat(((Timestamp) poison.get("NEXT_TRY")).toInstant()).isAfter(Instant.now());
			assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + AuditOutbox.TABLE + " WHERE INSTANCE = ?",
					Integer.class, instance)).as("only the unreadable row is left").isEqualTo(1);
		} finally {
			jdbc.update("DELETE FROM " + AuditOutbox.TABLE + " WHERE INSTANCE = ?", instance);
		}
	}

	/**
	 * The write's event is an outbox row when the client has its answer. Deterministic because the writer
	 * was idle before the write ({@link #awaitWriterIdle}): the commit wakes it, and it waits
	 * {@code AuditTrail.LINGER} (200 ms) for more before it takes any row, while this look follows the answer
	 * within milliseconds. An event queued in memory instead (the path of reads) would not be here.
	 */
	private void assertInOutboxAtTheAnswer(String resource, String action) {
		assertThat(outboxRows(resource, action)).as("the answered write's AuditEvent is an outbox row").isEqualTo(1);
	}

	/** Nothing handed over unstored, so the writer waits for the next commit to wake it. */
	private void awaitWriterIdle() {
		await("audit writer idle").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
				.until(auditTrail::idle);
	}

	/** By reference; or, for a resource deleted meanwhile, by the id the entity keeps as its display. */
	private List<AuditEvent> storedEventsNaming(String resource, String action) {
		List<AuditEvent> byReference = events("entity=" + resource + "&action=" + action);
		if (!byReference.isEmpty()) {
			return byReference;
		}
		return events("action=" + action + "&_sort=-date&_count=100").stream()
				.filter(e -> e.getEntity().stream().anyMatch(entity -> entity.getWhat().hasDisplay()
						&& entity.getWhat().getDisplay().startsWith(resource + "/_history/")))
				.toList();
	}

	private int outboxRows(String resource, String action) {
		String like = "%\"" + resource + "/_history/%";
		String sql = "SELECT COUNT(*) FROM " + AuditOutbox.TABLE + " WHERE EVENT LIKE ?";
		Integer n = action == null
				? new JdbcTemplate(dataSource).queryForObject(sql, Integer.class, like)
				: new JdbcTemplate(dataSource).queryForObject(sql + " AND EVENT LIKE ?", Integer.class, like,
						"%\"action\":\"" + action + "\"%");
		return n == null ? 0 : n;
	}

	private int outboxRowsNaming(String text) {
		Integer n = new JdbcTemplate(dataSource).queryForObject("SELECT COUNT(*) FROM " + AuditOutbox.TABLE
				+ " WHERE EVENT LIKE ?", Integer.class, "%" + text + "%");
		return n == null ? 0 : n;
	}

	private List<AuditEvent> awaitEvents(String query) {
		return await(query).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
				.until(() -> events(query), list -> !list.isEmpty());
	}

	private List<AuditEvent> events(String query) {
		Response r = fhirAs("auditor").get("/AuditEvent?" + query);
		r.then().statusCode(200);
		Bundle b = bundle(r);
		return b.getEntry().stream().map(e -> (AuditEvent) e.getResource()).toList();
	}

	/**
	 * After BALP has recorded a create (same pointcut, later order), records one more write event inside
	 * the transaction for a patient marked {@code commit}, and for one marked {@code rollBack} also
	 * refuses it, so that transaction rolls back with the events it raised.
	 */
	@Interceptor
	public static class AuditThenMaybeRefuse {
		private final AuditTrail trail;
		private final String commit;
		private final String rollBack;
		final AtomicReference<String> rolledBackId = new AtomicReference<>();

		AuditThenMaybeRefuse(AuditTrail trail, String commit, String rollBack) {
			this.trail = trail;
			this.commit = commit;
			this.rollBack = rollBack;
		}

		@Hook(value = Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED, order = 1000)
		public void created(IBaseResource resource) {
			if (!(resource instanceof Patient p) || !p.hasIdentifier()) {
				return;
			}
			String mark = p.getIdentifierFirstRep().getValue();
			if (!mark.equals(commit) && !mark.equals(rollBack)) {
				return;
			}
			String id = p.getIdElement().toUnqualifiedVersionless().getValue();
			AuditEvent event = AuditEvents.failed(mark, RestOperationTypeEnum.CREATE, id, 201, null);
			trail.recordAuditEvent(event.setOutcome(AuditEvent.AuditEventOutcome._0).setOutcomeDesc(null));
			if (mark.equals(rollBack)) {
				rolledBackId.set(id);
				throw new UnprocessableEntityException("refused by the test after it was audited");
			}
		}
	}
}
