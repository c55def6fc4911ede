package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Arrays;
import org.bonemarrow.server.adapter.ResultNotificationReceivers;
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

/** A failed rest-hook delivery leaves one log line, without a stack trace or patient data (issue 19). */
@FhirServerTest
@ExtendWith(OutputCaptureExtension.class)
class DeliveryFailureLogTest extends RestTestBase {

	@Test
	void aFailedDeliveryIsOneLine_andIsStillRetried(CapturedOutput log) throws Exception {
		String family = "Deliveryfamily" + Fixtures.unique("x").substring(2).replace("-", "");
		try (TestReceiver receiver = new TestReceiver(1)) {
			Subscription s = new Subscription();
			s.setStatus(Subscription.SubscriptionStatus.REQUESTED);
			s.setReason("delivery log test");
			s.setCriteria("Patient?family=" + family);
			s.getChannel().setType(Subscription.SubscriptionChannelType.RESTHOOK).setEndpoint(receiver.endpoint())
					.setPayload("application/fhir+json");
			ResultNotificationReceivers.withRetries(s, 3);
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
			long lines = Arrays.stream(log.getAll().split("\n"))
					.filter(l -> l.contains("Subscription/" + idPart) && l.contains("failed")).count();
			assertThat(lines).as("one line for the one failed attempt").isEqualTo(1);
			assertThat(log.getAll()).contains("failed (attempt 1): HTTP 503")
					.doesNotContain("at ca.uhn.fhir.jpa.subscription.match.deliver")
					.doesNotContain(family);
		}
	}
}
