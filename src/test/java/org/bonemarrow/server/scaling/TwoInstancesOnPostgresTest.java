package org.bonemarrow.server.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.bonemarrow.server.support.SampleBundles;
import org.bonemarrow.server.support.ServerProcess;
import org.bonemarrow.server.support.TestReceiver;
import org.bonemarrow.server.support.Tokens;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Subscription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Scale-out as docs/scaling.md describes it: two stateless server processes on one PostgreSQL database.
 * A write on one is read on the other, and a result notification is delivered once, not once per
 * instance: each instance queues only the writes it handled itself, and both work the one outbox, each
 * delivery claimed by one of them at a time (SKIP LOCKED and a lease). The receiver is down at first, so
 * both instances retry the same deliveries while it is. Runs in the PostgreSQL build
 * ({@code mvn -B verify -Ppostgres}, as .ci/run does); H2 is a single-process database.
 */
@EnabledIfSystemProperty(named = "spring.profiles.active", matches = "postgres")
class TwoInstancesOnPostgresTest {

	private static final FhirContext CTX = FhirContext.forR4Cached();

	@Test
	void writeOnOneIsReadOnTheOther_andTheOrdererIsNotifiedOnce() throws Exception {
		Path dir = Files.createDirectories(Path.of("target", "two-instances"));
		int ehrPort = ServerProcess.freePort();
		try (ServerProcess a = ServerProcess.start(dir.resolve("a"), dir.resolve("a.log"), args(ehrPort));
				// B issues no tokens of its own: it trusts A's keys, as every instance trusts the hospital's
				// identity provider in production (docs/scaling.md).
				ServerProcess b = ServerProcess.start(dir.resolve("b"), dir.resolve("b.log"),
						with(args(ehrPort), "--bonemarrow.security.jwk-set-uri=http://localhost:" + a.port + "/oauth2/jwks"))) {
			String token = a.token(Tokens.TEST_ADMIN);
			// B has no authorization server of its own to sign people in: its console is off, its landing page
			// and API are not.
			assertThat(io.restassured.RestAssured.given().port(b.port).basePath("").redirects().follow(false).get("/console").statusCode())
					.isEqualTo(404);
			assertThat(io.restassured.RestAssured.given().port(b.port).basePath("").get("/").statusCode()).isEqualTo(200);
			assertThat(io.restassured.RestAssured.given().port(a.port).basePath("").redirects().follow(false).get("/console").statusCode())
					.isEqualTo(302);

			Bundle exam = SampleBundles.unique("exam-iron-assessment.json");
			Response posted = a.fhir().body(CTX.newJsonParser().encodeResourceToString(exam)).post("/");
			assertThat(posted.statusCode()).isEqualTo(200);
			String order = CTX.newJsonParser().parseResource(Bundle.class, posted.asString()).getEntry().stream()
					.map(e -> e.getResponse().getLocation()).filter(l -> l.startsWith("ServiceRequest/"))
					.findFirst().orElseThrow().replaceAll("/_history.*", "");

			// Written through A, read through B: no instance keeps state of its own.
			ServiceRequest seenByB = CTX.newJsonParser().parseResource(ServiceRequest.class, b.fhir(token).get("/" + order).asString());
			assertThat(seenByB.getStatus()).isEqualTo(ServiceRequest.ServiceRequestStatus.COMPLETED);
			assertThat(b.fhir(token).get("/ServiceRequest/" + order.substring(order.indexOf('/') + 1) + "/$exam-summary")
					.statusCode()).isEqualTo(200);

			// Two more exams through B: reports queued by both instances.
			for (int i = 0; i < 2; i++) {
				Bundle another = SampleBundles.unique("exam-iron-assessment.json");
				assertThat(b.fhir(token).body(CTX.newJsonParser().encodeResourceToString(another)).post("/").statusCode())
						.isEqualTo(200);
			}
			// While the receiver is down both instances retry; then it comes back. Each final report must arrive
			// once, and still once after both have had time to deliver again.
			Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
					.until(() -> statusPart(b, token, "last-error-time") != null);
			try (TestReceiver ehr = new TestReceiver(0, ehrPort)) {
				Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> ehr.deliveries.size() >= 3);
				Awaitility.await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10))
						.until(() -> ehr.deliveries.size() == 3);
				assertThat(ehr.deliveries).allSatisfy(d -> assertThat(d.path()).startsWith("/ehr/fhir/DiagnosticReport/"));
				assertThat(ehr.deliveries.stream().map(TestReceiver.Delivery::path).distinct()).hasSize(3);
				assertThat(ehr.deliveries.stream().map(TestReceiver.Delivery::deliveryId).distinct()).hasSize(3);
				// Either instance tells the same state: all delivered, nothing pending.
				assertThat(statusPart(a, token, "delivered")).isEqualTo("3");
				assertThat(statusPart(b, token, "pending")).isEqualTo("0");
			}

			// A new Subscription is matched on both instances' very next writes, not at HAPI's next
			// once-a-minute registry refresh (the epoch counter, docs/scaling.md). HAPI activates and registers it
			// on whichever instance takes the change from its persisted queue; the other one would not know it.
			for (int round = 0; round < 2; round++) {
				newSubscriptionIsMatchedOnBothInstances(a, b, token);
			}

			// The shared database outlives this test: leave no receiver behind for later test classes.
			a.fhir().delete("/Subscription/bme-receiver-scaling-test-ehr").then().statusCode(200);
		}
	}

	private static String[] with(String[] args, String more) {
		String[] all = java.util.Arrays.copyOf(args, args.length + 1);
		all[args.length] = more;
		return all;
	}

	private static void newSubscriptionIsMatchedOnBothInstances(ServerProcess a, ServerProcess b, String token) throws Exception {
		String family = "Scalingfamily" + Long.toString(System.nanoTime(), 36).replaceAll("[0-9]", "");
		try (TestReceiver other = new TestReceiver()) {
			Subscription s = new Subscription();
			s.setStatus(Subscription.SubscriptionStatus.REQUESTED);
			s.setReason("cross-instance test");
			s.setCriteria("Patient?family=" + family);
			s.getChannel().setType(Subscription.SubscriptionChannelType.RESTHOOK).setEndpoint(other.endpoint())
					.setPayload("application/fhir+json");
			Response created = a.fhir(token).body(CTX.newJsonParser().encodeResourceToString(s)).post("/Subscription");
			assertThat(created.statusCode()).isEqualTo(201);
			String subscription = "Subscription/" + created.header("Location").replaceAll(".*/Subscription/", "")
					.replaceAll("/_history.*", "");
			Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
					.until(() -> CTX.newJsonParser().parseResource(Subscription.class, a.fhir(token).get("/" + subscription)
							.asString()).getStatus() == Subscription.SubscriptionStatus.ACTIVE);
			Patient patient = new Patient();
			patient.addName().setFamily(family);
			for (ServerProcess instance : List.of(a, b)) {
				assertThat(instance.fhir(token).body(CTX.newJsonParser().encodeResourceToString(patient)).post("/Patient")
						.statusCode()).isEqualTo(201);
			}
			Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> other.deliveries.size() == 2);
			// Cleanup, not the subject of this test. A delete that meets a concurrent write of the same resource
			// (seen once here, right after the two deliveries) is answered 409 "version constraint failure", which
			// a FHIR client retries; anything else still fails.
			Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).until(() -> {
				int status = a.fhir(token).delete("/" + subscription).statusCode();
				assertThat(status).isIn(200, 409);
				return status == 200;
			});
		}
	}

	private static String statusPart(ServerProcess server, String token, String name) {
		Parameters status = CTX.newJsonParser().parseResource(Parameters.class,
				server.fhir(token).get("/$delivery-status?receiver=Subscription/bme-receiver-scaling-test-ehr").asString());
		return status.getParameterFirstRep().getPart().stream().filter(p -> p.getName().equals(name))
				.map(p -> p.getValue().primitiveValue()).findFirst().orElse(null);
	}

	private static String[] args(int ehrPort) {
		return new String[] {
			"--spring.profiles.active=postgres",
			"--spring.datasource.url=" + System.getProperty("BONEMARROW_DB_URL"),
			"--spring.datasource.username=" + System.getProperty("BONEMARROW_DB_USER"),
			"--spring.datasource.password=" + System.getProperty("BONEMARROW_DB_PASSWORD"),
			"--bonemarrow.notifications.receivers[0].id=scaling-test-ehr",
			"--bonemarrow.notifications.receivers[0].endpoint=http://127.0.0.1:" + ehrPort + "/ehr/fhir",
			"--bonemarrow.notifications.receivers[0].criteria=DiagnosticReport?status=final",
			"--bonemarrow.delivery.first-retry=500ms",
			"--bonemarrow.delivery.max-interval=1s",
			"--bonemarrow.delivery.poll-interval=200ms"
		};
	}
}
