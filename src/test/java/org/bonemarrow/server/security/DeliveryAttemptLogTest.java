package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Arrays;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.TestReceiver;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Subscription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * A failed rest-hook delivery attempt leaves one log line from the outbox, without a stack trace or patient
 * data (issue 19), saying when it is tried next; the retry then delivers it (issue 13).
 */
@FhirServerTest
@ExtendWith(OutputCaptureExtension.class)
class DeliveryAttemptLogTest extends RestTestBase {

	@Test
	void aFailedAttemptIsOneLine_andTheRetryDeliversTheSameContent(CapturedOutput log) throws Exception {
		String family = "Deliveryfamily" + Fixtures.unique("x").substring(2).replace("-", "");
		try (TestReceiver receiver = new TestReceiver(1)) {
			Subscription s = new Subscription();
			s.setStatus(Subscription.SubscriptionStatus.REQUESTED);
			s.setReason("delivery log test");
			s.setCriteria("Patient?family=" + family);
			s.getChannel().setType(Subscription.SubscriptionChannelType.RESTHOOK).setEndpoint(receiver.endpoint())
					.setPayload("application/fhir+json");
			String subscription = create(s);
			await("subscription active").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
					.until(() -> parse(fhir().get("/" + subscription), Subscription.class).getStatus()
							== Subscription.SubscriptionStatus.ACTIVE);

			Patient p = Fixtures.patient(Fixtures.unique("MRN"));
			p.getNameFirstRep().setFamily(family);
			create(p);
			await("a second attempt after the 503").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
					.until(() -> receiver.deliveries.size() >= 2);
			fhir().delete("/" + subscription).then().statusCode(200);

			String idPart = subscription.substring(subscription.indexOf('/') + 1);
			assertThat(receiver.deliveries.get(1).body()).isEqualTo(receiver.deliveries.get(0).body());
			assertThat(receiver.deliveries.get(0).deliveryId()).startsWith("BMD")
					.isEqualTo(receiver.deliveries.get(1).deliveryId());
			await("the success recorded").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
					.until(() -> log.getAll().lines().anyMatch(l -> l.contains("rest-hook " + idPart + " delivered (attempt 2)")));
			long lines = Arrays.stream(log.getAll().split("\n"))
					.filter(l -> l.contains("rest-hook " + idPart) && l.contains("failed")).count();
			assertThat(lines).as("one line for the one failed attempt").isEqualTo(1);
			assertThat(log.getAll()).contains("rest-hook " + idPart + ": attempt 1 failed (HTTP 503 (")
					.contains("next attempt at")
					.doesNotContain("at ca.uhn.fhir.jpa.subscription.match.deliver")
					.doesNotContain(family);
		}
	}
}
