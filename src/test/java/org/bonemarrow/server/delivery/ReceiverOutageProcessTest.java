package org.bonemarrow.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.bonemarrow.server.support.Fixtures.examTransaction;
import static org.bonemarrow.server.support.Fixtures.unique;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.app.HL7Service;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.protocol.ReceivingApplication;
import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.util.Terser;
import ca.uhn.hl7v2.validation.impl.NoValidation;
import io.restassured.response.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bonemarrow.server.support.ServerProcess;
import org.bonemarrow.server.support.TestReceiver;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Parameters.ParametersParameterComponent;
import org.hl7.fhir.r4.model.Type;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * No result is lost when the receiving systems are down (issue 13), shown on the real server as a child
 * process with a FHIR rest-hook receiver (a configured Subscription) and an HL7 v2 receiver over real MLLP,
 * both on ports that stay closed until the test opens them:
 * <ol>
 *   <li>down for longer than HAPI's old retry window (one minute), then back: each gets the report once;</li>
 *   <li>down, the server killed with SIGKILL and restarted on the same data folder: still delivered;</li>
 *   <li>down past the (shortened) retry window: a dead letter, shown in the status, replayed, delivered
 *       with its original identity, and the replay is in the audit trail.</li>
 * </ol>
 * The steps share one data folder and follow each other.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReceiverOutageProcessTest {

	private static final FhirContext CTX = FhirContext.forR4Cached();
	private static final String EHR = "Subscription/bme-receiver-outage-ehr";
	private static final String LIS = "hl7v2/outage-lis";
	/** HAPI's rest-hook retry gave up after one minute (TimeoutRetryPolicy, hapi-fhir issue 6002). */
	private static final Duration HAPI_RETRY_WINDOW = Duration.ofMinutes(1);

	private Path dataDir;
	private Path log;
	private int ehrPort;
	private int lisPort;
	private ServerProcess server;
	private final List<String> oruMessages = new CopyOnWriteArrayList<>();

	@BeforeAll
	void startWithBothReceiversDown() throws Exception {
		dataDir = Files.createDirectories(Path.of("target", "outage-" + unique("h2")));
		log = dataDir.resolve("server.log");
		ehrPort = ServerProcess.freePort();
		lisPort = ServerProcess.freePort();
		server = start("72h");
	}

	@AfterAll
	void stop() throws Exception {
		if (server != null) {
			server.close();
		}
	}

	private ServerProcess start(String window) throws Exception {
		return ServerProcess.start(dataDir, log,
				"--bonemarrow.notifications.receivers[0].id=outage-ehr",
				"--bonemarrow.notifications.receivers[0].endpoint=http://127.0.0.1:" + ehrPort + "/ehr/fhir",
				"--bonemarrow.notifications.receivers[0].criteria=DiagnosticReport?status=final",
				"--bonemarrow.v2.receivers[0].id=outage-lis",
				"--bonemarrow.v2.receivers[0].host=127.0.0.1",
				"--bonemarrow.v2.receivers[0].port=" + lisPort,
				"--bonemarrow.v2.receivers[0].receiving-application=OUTAGE-LIS",
				"--bonemarrow.delivery.first-retry=1s",
				"--bonemarrow.delivery.max-interval=5s",
				"--bonemarrow.delivery.poll-interval=200ms",
				"--bonemarrow.delivery.give-up-after=" + window);
	}

	@Test
	@Order(1)
	void receiversDownLongerThanHapisRetryWindow_getTheReportOnceWhenBack() throws Exception {
		String placer = unique("PO-OUTAGE");
		String report = storeExam(placer);

		// Still retrying after HAPI would have given up: a failed attempt more than a minute after the write.
		await("attempts beyond HAPI's one-minute window").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2))
				.until(() -> failingLongerThan(EHR, HAPI_RETRY_WINDOW) && failingLongerThan(LIS, HAPI_RETRY_WINDOW));
		assertThat(part(status(EHR), "dead-letters").map(v -> v.primitiveValue())).contains("0");

		try (TestReceiver ehr = new TestReceiver(0, ehrPort); Lis lis = lisUp()) {
			awaitDeliveredOnce(ehr, report, placer);
			List<TestReceiver.Delivery> forReport = ehr.deliveries.stream().filter(d -> d.path().endsWith(report)).toList();
			assertThat(forReport.get(0).method()).isEqualTo("PUT");
			DiagnosticReport delivered = CTX.newJsonParser().parseResource(DiagnosticReport.class, forReport.get(0).body());
			assertThat(delivered.getStatus()).isEqualTo(DiagnosticReport.DiagnosticReportStatus.FINAL);
			assertThat(forReport.get(0).deliveryId()).startsWith("BMD");
		}
	}

	@Test
	@Order(2)
	void killedWhileReceiversAreDown_deliversAfterTheRestart() throws Exception {
		String placer = unique("PO-KILL");
		Instant written = Instant.now();
		String report = storeExam(placer);
		await("a failed attempt to each receiver").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
				.until(() -> failedSince(EHR, written) && failedSince(LIS, written));
		server.kill9();

		try (TestReceiver ehr = new TestReceiver(0, ehrPort); Lis lis = lisUp()) {
			// Restarted with a short retry window, for the dead letter step next; the retry that follows the
			// restart succeeds, and a window only closes after a failure.
			server = start("8s");
			awaitDeliveredOnce(ehr, report, placer);
		}
	}

	@Test
	@Order(3)
	void pastTheRetryWindow_aDeadLetterIsShownReplayedAndAudited() throws Exception {
		String placer = unique("PO-DEAD");
		String report = storeExam(placer);
		await("dead letters").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
				.until(() -> count(EHR, "dead-letters") >= 1 && count(LIS, "dead-letters") >= 1);

		// The Subscription's own status, in the Backport IG's shape.
		Bundle statusBundle = parse(server.fhir(server.token("integration")).get("/" + EHR + "/$status"), 200, Bundle.class);
		Parameters subscriptionStatus = (Parameters) statusBundle.getEntryFirstRep().getResource();
		assertThat(subscriptionStatus.getParameter("type").getValue().primitiveValue()).isEqualTo("query-status");
		assertThat(subscriptionStatus.getParameter("status").getValue().primitiveValue()).isEqualTo("active");
		assertThat(subscriptionStatus.getParameter("error")).isNotNull();
		String ehrDead = deadLetterFor(subscriptionStatus.getParameter("delivery"), report);
		String lisDead = deadLetterFor(receiverPart(status(LIS)), report);

		// Refusals first: the auditor sees, but may not replay; unknown and not-dead deliveries are told apart.
		server.fhir(server.token("auditor")).get("/$delivery-status").then().statusCode(200);
		replay(server.token("auditor"), "delivery", ehrDead).then().statusCode(403);
		replay(server.token("integration"), "delivery", "BMD999999999").then().statusCode(404);

		try (TestReceiver ehr = new TestReceiver(0, ehrPort); Lis lis = lisUp()) {
			replay(server.token("integration"), "delivery", ehrDead).then().statusCode(200);
			replay(server.token("integration"), "receiver", LIS).then().statusCode(200);
			awaitDeliveredOnce(ehr, report, placer);
			assertThat(ehr.deliveries.stream().filter(d -> d.path().endsWith(report)).findFirst().orElseThrow().deliveryId())
					.isEqualTo(ehrDead);
			String oru = oruMessages.stream().filter(m -> m.contains(placer)).findFirst().orElseThrow();
			assertThat(new Terser(hapi().getPipeParser().parse(oru)).get("/MSH-10")).isEqualTo(lisDead);
			replay(server.token("integration"), "delivery", ehrDead).then().statusCode(409);
		}

		// The replay is in the audit trail, with who asked for it.
		await("replay audited").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
			Bundle events = parse(server.fhir(server.token("auditor")).get("/AuditEvent?entity=" + report
					+ "&agent-name=integration&_count=50"), 200, Bundle.class);
			return events.getEntry().stream().map(e -> (org.hl7.fhir.r4.model.AuditEvent) e.getResource())
					.filter(e -> e.getSubtype().stream().anyMatch(c -> "replay".equals(c.getCode())))
					.map(e -> e.getEntityFirstRep().getName()).toList().containsAll(List.of(ehrDead, lisDead));
		});
	}

	private String storeExam(String placer) {
		Response r = server.fhir().body(CTX.newJsonParser().encodeResourceToString(examTransaction(unique("MRN"), placer)))
				.post("/");
		Bundle response = parse(r, 200, Bundle.class);
		return response.getEntry().stream().map(e -> e.getResponse().getLocation())
				.filter(l -> l.startsWith("DiagnosticReport/")).map(l -> l.replaceAll("/_history/.*", ""))
				.findFirst().orElseThrow();
	}

	/** Both receivers have it, and once: no further copy after everything owed to them is delivered. */
	private void awaitDeliveredOnce(TestReceiver ehr, String report, String placer) {
		await("delivered to both receivers").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
				.until(() -> ehr.deliveries.stream().anyMatch(d -> d.path().endsWith(report))
						&& oruMessages.stream().anyMatch(m -> m.contains(placer)));
		await("nothing pending").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
				.until(() -> count(EHR, "pending") == 0 && count(LIS, "pending") == 0);
		assertThat(ehr.deliveries.stream().filter(d -> d.path().endsWith(report))).hasSize(1);
		assertThat(oruMessages.stream().filter(m -> m.contains(placer))).hasSize(1);
	}

	private boolean failingLongerThan(String receiver, Duration window) {
		ParametersParameterComponent part = receiverPart(status(receiver));
		Optional<Instant> oldest = instant(part, "oldest-pending");
		Optional<Instant> lastError = instant(part, "last-error-time");
		return oldest.isPresent() && lastError.isPresent() && lastError.get().isAfter(oldest.get().plus(window));
	}

	private boolean failedSince(String receiver, Instant since) {
		return instant(receiverPart(status(receiver)), "last-error-time").filter(t -> t.isAfter(since)).isPresent();
	}

	private int count(String receiver, String name) {
		return part(status(receiver), name).map(v -> Integer.parseInt(v.primitiveValue())).orElse(-1);
	}

	private Parameters status(String receiver) {
		return parse(server.fhir(server.token("integration")).get("/$delivery-status?receiver=" + receiver), 200,
				Parameters.class);
	}

	private static ParametersParameterComponent receiverPart(Parameters status) {
		return status.getParameter().get(0);
	}

	private static Optional<Type> part(Parameters status, String name) {
		return receiverPart(status).getPart().stream().filter(p -> p.getName().equals(name)).map(p -> p.getValue())
				.findFirst();
	}

	private static Optional<Instant> instant(ParametersParameterComponent part, String name) {
		return part.getPart().stream().filter(p -> p.getName().equals(name))
				.map(p -> ((org.hl7.fhir.r4.model.InstantType) p.getValue()).getValue().toInstant()).findFirst();
	}

	/** The id of the dead letter for this report in a receiver's status part. */
	private static String deadLetterFor(ParametersParameterComponent receiver, String report) {
		return receiver.getPart().stream().filter(p -> p.getName().equals("dead-letter"))
				.filter(p -> p.getPart().stream().anyMatch(q -> q.getName().equals("resource")
						&& ((org.hl7.fhir.r4.model.Reference) q.getValue()).getReference().equals(report)))
				.flatMap(p -> p.getPart().stream().filter(q -> q.getName().equals("delivery")))
				.map(q -> q.getValue().primitiveValue()).findFirst().orElseThrow();
	}

	private Response replay(String token, String name, String value) {
		Parameters in = new Parameters();
		in.addParameter().setName(name).setValue(new org.hl7.fhir.r4.model.StringType(value));
		return server.fhir(token).body(CTX.newJsonParser().encodeResourceToString(in)).post("/$replay");
	}

	/** The HL7 v2 receiver: HAPI's own MLLP server, recording each message and acknowledging it AA. */
	private Lis lisUp() throws InterruptedException {
		HL7Service service = hapi().newServer(lisPort, false);
		service.registerApplication(new ReceivingApplication<Message>() {
			@Override
			public Message processMessage(Message message, Map<String, Object> metadata) throws HL7Exception {
				try {
					oruMessages.add(message.encode());
					return message.generateACK();
				} catch (IOException e) {
					throw new HL7Exception(e);
				}
			}

			@Override
			public boolean canProcess(Message message) {
				return true;
			}
		});
		service.startAndWait();
		return new Lis(service);
	}

	private record Lis(HL7Service service) implements AutoCloseable {
		@Override
		public void close() {
			service.stopAndWait();
		}
	}

	private static HapiContext hapi() {
		HapiContext hapi = new DefaultHapiContext();
		hapi.setValidationContext(new NoValidation());
		// Not HAPI's default file-based generator, which writes an id_file into the working directory.
		hapi.getParserConfiguration().setIdGenerator(new ca.uhn.hl7v2.util.idgenerator.InMemoryIDGenerator());
		return hapi;
	}

	private static <T extends org.hl7.fhir.instance.model.api.IBaseResource> T parse(Response r, int status, Class<T> type) {
		assertThat(r.statusCode()).as(r.asString()).isEqualTo(status);
		return CTX.newJsonParser().parseResource(type, r.asString());
	}
}
