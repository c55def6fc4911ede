package org.bonemarrow.server.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.bonemarrow.server.support.SampleBundles;
import org.bonemarrow.server.support.ServerProcess;
import org.bonemarrow.server.support.TestReceiver;
import org.bonemarrow.server.support.Tokens;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Scale-out as docs/scaling.md describes it: two stateless server processes on one PostgreSQL database.
 * A write on one is read on the other, and a result notification is delivered once, not once per
 * instance (each instance matches only the writes it handled itself). Runs in the PostgreSQL build
 * ({@code mvn -B verify -Ppostgres}, as .ci/run does); H2 is a single-process database.
 */
@EnabledIfSystemProperty(named = "spring.profiles.active", matches = "postgres")
class TwoInstancesOnPostgresTest {

	private static final FhirContext CTX = FhirContext.forR4Cached();

	@Test
	void writeOnOneIsReadOnTheOther_andTheOrdererIsNotifiedOnce() throws Exception {
		Path dir = Files.createDirectories(Path.of("target", "two-instances"));
		try (TestReceiver ehr = new TestReceiver();
				ServerProcess a = ServerProcess.start(dir.resolve("a"), dir.resolve("a.log"), args(ehr));
				// B issues no tokens of its own: it trusts A's keys, as every instance trusts the hospital's
				// identity provider in production (docs/scaling.md).
				ServerProcess b = ServerProcess.start(dir.resolve("b"), dir.resolve("b.log"),
						with(args(ehr), "--bonemarrow.security.jwk-set-uri=http://localhost:" + a.port + "/oauth2/jwks"))) {
			String token = a.token(Tokens.TEST_ADMIN);

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

			// Both instances hold the configured receiver's Subscription; the final report must arrive once,
			// and still once after both have had time to deliver.
			Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> ehr.deliveries.size() >= 1);
			Awaitility.await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10))
					.until(() -> ehr.deliveries.size() == 1);
			assertThat(ehr.deliveries.get(0).path()).startsWith("/ehr/fhir/DiagnosticReport/");

			// The shared database outlives this test: leave no receiver behind for later test classes.
			a.fhir().delete("/Subscription/bme-receiver-scaling-test-ehr").then().statusCode(200);
		}
	}

	private static String[] with(String[] args, String more) {
		String[] all = java.util.Arrays.copyOf(args, args.length + 1);
		all[args.length] = more;
		return all;
	}

	private static String[] args(TestReceiver ehr) {
		return new String[] {
			"--spring.profiles.active=postgres",
			"--spring.datasource.url=" + System.getProperty("BONEMARROW_DB_URL"),
			"--spring.datasource.username=" + System.getProperty("BONEMARROW_DB_USER"),
			"--spring.datasource.password=" + System.getProperty("BONEMARROW_DB_PASSWORD"),
			"--bonemarrow.notifications.receivers[0].id=scaling-test-ehr",
			"--bonemarrow.notifications.receivers[0].endpoint=" + ehr.endpoint(),
			"--bonemarrow.notifications.receivers[0].criteria=DiagnosticReport?status=final"
		};
	}
}
