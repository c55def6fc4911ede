package org.bonemarrow.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ca.uhn.hl7v2.DefaultHapiContext;
import ca.uhn.hl7v2.util.Terser;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.List;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.TestReceiver;
import org.bonemarrow.server.v2.TestMllpReceiver;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Subscription;
import org.junit.jupiter.api.Test;

/**
 * The outbox over FHIR in the shared server: status for every receiver, $resend to a rest-hook and an HL7 v2
 * receiver (a new delivery with a new identity), who may call what, and clear refusals. The outage, kill
 * and dead-letter stories run against a real process ({@link ReceiverOutageProcessTest}).
 */
@FhirServerTest
class DeliveryOperationsRestTest extends RestTestBase {

	@Test
	void resendQueuesTheCurrentVersionAgain_asANewDelivery_toARestHookReceiver() throws Exception {
		String family = "Resendfamily" + Fixtures.unique("x").substring(2).replace("-", "");
		try (TestReceiver receiver = new TestReceiver()) {
			String subscription = activeRestHookSubscription("Patient?family=" + family, receiver.endpoint());
			Patient p = Fixtures.patient(Fixtures.unique("MRN"));
			p.getNameFirstRep().setFamily(family);
			String patient = create(p);
			await().atMost(Duration.ofSeconds(30)).until(() -> receiver.deliveries.size() == 1);

			Parameters queued = parse(resend(fhirAs("integration"), patient, subscription), Parameters.class);
			String delivery = queued.getParameter("delivery").getValue().primitiveValue();
			await().atMost(Duration.ofSeconds(30)).until(() -> receiver.deliveries.size() == 2);
			assertThat(receiver.deliveries.get(1).deliveryId()).isEqualTo(delivery)
					.isNotEqualTo(receiver.deliveries.get(0).deliveryId());
			assertThat(receiver.deliveries.get(1).body()).isEqualTo(receiver.deliveries.get(0).body());

			// Its status, in the Backport IG's shape: two events, both delivered.
			Parameters status = (Parameters) bundle(fhirAs("integration").get("/" + subscription + "/$status"))
					.getEntryFirstRep().getResource();
			assertThat(status.getParameter("events-since-subscription-start").getValue().primitiveValue()).isEqualTo("2");
			assertThat(part(status.getParameter("delivery"), "delivered")).isEqualTo("2");
			assertThat(part(status.getParameter("delivery"), "pending")).isEqualTo("0");

			// Each acknowledged delivery is in the audit trail (DICOM 110106 Export), named by its identity.
			await("export events").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
					bundle(fhir().get("/AuditEvent?entity=" + patient.replaceAll("/_history/.*", "")
							+ "&type=http://dicom.nema.org/resources/ontology/DCM|110106")).getEntry().stream()
							.map(e -> ((org.hl7.fhir.r4.model.AuditEvent) e.getResource()).getEntityFirstRep().getName())
							.toList().containsAll(List.of(receiver.deliveries.get(0).deliveryId(), delivery)));
			fhir().delete("/" + subscription).then().statusCode(200);
		}
	}

	@Test
	void resendToAnHl7v2ReceiverSendsTheReportAgainWithANewControlId() throws Exception {
		String placer = Fixtures.unique("PO-RESEND");
		Bundle response = bundle(fhir().body(json(Fixtures.examTransaction(Fixtures.unique("MRN"), placer))).post(""));
		String report = response.getEntry().stream().map(e -> e.getResponse().getLocation())
				.filter(l -> l.startsWith("DiagnosticReport/")).map(l -> l.replaceAll("/_history/.*", ""))
				.findFirst().orElseThrow();
		TestMllpReceiver lis = TestMllpReceiver.shared();
		await().atMost(Duration.ofSeconds(30)).until(() -> lis.containing(placer).size() == 1);

		Parameters queued = parse(resend(fhirAs("integration"), report, "hl7v2/test-lis"), Parameters.class);
		String delivery = queued.getParameter("delivery").getValue().primitiveValue();
		await().atMost(Duration.ofSeconds(30)).until(() -> lis.containing(placer).size() == 2);
		List<String> both = lis.containing(placer);
		assertThat(msh10(both.get(1))).isEqualTo(delivery).isNotEqualTo(msh10(both.get(0)));

		// Refused, each with an OperationOutcome: a receiver that does not exist, a Patient to an HL7 v2 receiver,
		// a malformed receiver, no receiver, a missing resource.
		assertThat(resend(fhirAs("integration"), report, "hl7v2/no-such-lis").statusCode()).isEqualTo(404);
		assertThat(resend(fhirAs("integration"), report, "Subscription/no-such-subscription").statusCode()).isEqualTo(404);
		String patient = create(Fixtures.patient(Fixtures.unique("MRN")));
		Response notAReport = resend(fhirAs("integration"), patient, "hl7v2/test-lis");
		assertThat(notAReport.statusCode()).isEqualTo(422);
		assertThat(outcome(notAReport).getIssueFirstRep().getDiagnostics()).contains("DiagnosticReport");
		assertThat(resend(fhirAs("integration"), report, "test-lis").statusCode()).isEqualTo(400);
		assertThat(fhirAs("integration").body(json(new Parameters())).post("/" + report + "/$resend").statusCode())
				.isEqualTo(400);
		assertThat(resend(fhirAs("integration"), "DiagnosticReport/999999999", "hl7v2/test-lis").statusCode()).isEqualTo(404);
	}

	@Test
	void deletingASubscriptionCancelsWhatIsStillPendingForIt_visiblyAndNotAsADeadLetter() throws Exception {
		String family = "Cancelfamily" + Fixtures.unique("x").substring(2).replace("-", "");
		String subscription;
		try (TestReceiver soonGone = new TestReceiver()) {
			subscription = activeRestHookSubscription("Patient?family=" + family, soonGone.endpoint());
		}
		Patient p = Fixtures.patient(Fixtures.unique("MRN"));
		p.getNameFirstRep().setFamily(family);
		create(p);
		String receiver = "/$delivery-status?receiver=" + subscription;
		await("a failed attempt").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
				.until(() -> part(parse(fhirAs("integration").get(receiver), Parameters.class).getParameterFirstRep(),
						"last-error") != null);
		fhir().delete("/" + subscription).then().statusCode(200);
		await("cancelled").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
				.until(() -> "1".equals(part(parse(fhirAs("integration").get(receiver), Parameters.class)
						.getParameterFirstRep(), "cancelled")));
		Parameters.ParametersParameterComponent state = parse(fhirAs("integration").get(receiver), Parameters.class)
				.getParameterFirstRep();
		assertThat(part(state, "pending")).isEqualTo("0");
		assertThat(part(state, "dead-letters")).isEqualTo("0");
		assertThat(part(state, "last-error")).isEqualTo("Subscription deleted");
	}

	@Test
	void statusListsEveryReceiver_forTheRolesThatWatchDeliveries() {
		Parameters all = parse(fhirAs("auditor").get("/$delivery-status"), Parameters.class);
		assertThat(all.getParameter()).anySatisfy(r -> {
			assertThat(part(r, "receiver")).isEqualTo("hl7v2/test-lis");
			assertThat(part(r, "channel")).isEqualTo("hl7v2");
			assertThat(part(r, "endpoint")).startsWith("mllp://127.0.0.1:");
		});
		fhirAs("integration").get("/$delivery-status?receiver=hl7v2/test-lis").then().statusCode(200);
		fhirAs("ehr").get("/$delivery-status").then().statusCode(200);
		// The lab neither registers nor watches receivers; only Subscription update scope replays or resends.
		fhirAs("lab").get("/$delivery-status").then().statusCode(403);
		fhirAs("lab").body(json(replayOf("BMD1"))).post("/$replay").then().statusCode(403);
		fhirAs("auditor").body(json(replayOf("BMD1"))).post("/$replay").then().statusCode(403);

		fhirAs("integration").get("/$delivery-status?receiver=hl7v2/no-such").then().statusCode(404);
		fhirAs("integration").get("/$delivery-status?receiver=nonsense").then().statusCode(400);
		fhirAs("integration").body(json(new Parameters())).post("/$replay").then().statusCode(400);
		fhirAs("integration").body(json(replayOf("not-a-delivery"))).post("/$replay").then().statusCode(404);
		Parameters mistyped = new Parameters();
		mistyped.addParameter().setName("receiver").setValue(new StringType("hl7v2/test-lsi"));
		fhirAs("integration").body(json(mistyped)).post("/$replay").then().statusCode(404);
	}

	@Test
	void aDeliveredMessageIsNotADeadLetter_replayIsRefusedWith409() throws Exception {
		String placer = Fixtures.unique("PO-NODEAD");
		fhir().body(json(Fixtures.examTransaction(Fixtures.unique("MRN"), placer))).post("").then().statusCode(200);
		TestMllpReceiver lis = TestMllpReceiver.shared();
		await().atMost(Duration.ofSeconds(30)).until(() -> lis.containing(placer).size() == 1);
		String delivered = msh10(lis.containing(placer).get(0));
		Response refused = fhirAs("integration").body(json(replayOf(delivered))).post("/$replay");
		assertThat(refused.statusCode()).isEqualTo(409);
		assertThat(outcome(refused).getIssueFirstRep().getDiagnostics()).contains("not a dead letter");
	}


	private static Response resend(io.restassured.specification.RequestSpecification as, String resource, String receiver) {
		Parameters in = new Parameters();
		in.addParameter().setName("receiver").setValue(new StringType(receiver));
		return as.body(json(in)).post("/" + resource + "/$resend");
	}

	private static Parameters replayOf(String delivery) {
		Parameters in = new Parameters();
		in.addParameter().setName("delivery").setValue(new StringType(delivery));
		return in;
	}

	private static String part(Parameters.ParametersParameterComponent parent, String name) {
		return parent.getPart().stream().filter(p -> p.getName().equals(name)).map(p -> p.getValue().primitiveValue())
				.findFirst().orElse(null);
	}

	private static String msh10(String message) throws Exception {
		try (DefaultHapiContext hapi = new DefaultHapiContext()) {
			hapi.getParserConfiguration().setIdGenerator(new ca.uhn.hl7v2.util.idgenerator.InMemoryIDGenerator());
			return new Terser(hapi.getPipeParser().parse(message)).get("/MSH-10");
		}
	}
}
