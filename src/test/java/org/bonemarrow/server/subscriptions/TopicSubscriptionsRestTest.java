package org.bonemarrow.server.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.restassured.response.Response;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Parameters.ParametersParameterComponent;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.UnsignedIntType;
import org.junit.jupiter.api.Test;

/**
 * Topic-based Subscriptions (R4 Subscriptions Backport IG) through real HTTP: a receiver on loopback gets the
 * handshake, numbered event notifications (only for its patient), heartbeats; an outage is retried and caught
 * up in order; $events and $status answer from the stored events, to the owner only; bad Subscriptions are
 * refused with 422.
 */
@FhirServerTest
class TopicSubscriptionsRestTest extends RestTestBase {

	private static final Duration WAIT = Duration.ofSeconds(30);

	@Test
	void reportTopic_handshakeThenNumberedEvents_onlyForTheFilteredPatient_recoverableWithEvents() throws Exception {
		try (Receiver receiver = new Receiver()) {
			String mrn = Fixtures.unique("MRN");
			String patient = create(Fixtures.patient(mrn));
			String subscription = subscribe("ehr", Topics.REPORT_URL, receiver, BackportIg.FULL_RESOURCE, 0,
					"DiagnosticReport?patient=" + patient);

			// Handshake first, while requested; answered 2xx, the Subscription becomes active.
			await("handshake").atMost(WAIT).until(() -> receiver.notifications().size() == 1);
			Parameters handshake = status(receiver.notifications().get(0));
			assertThat(value(handshake, "type")).isEqualTo("handshake");
			assertThat(value(handshake, "status")).isEqualTo("requested");
			assertThat(value(handshake, "topic")).isEqualTo(Topics.REPORT_URL);
			assertThat(value(handshake, "events-since-subscription-start")).isEqualTo("0");
			await("active").atMost(WAIT).until(() -> statusOf(subscription) == Subscription.SubscriptionStatus.ACTIVE);

			// Another patient's report: not this subscriber's (filterBy patient).
			fhir().body(json(Fixtures.examTransaction(Fixtures.unique("MRN"), Fixtures.unique("PO-OTHER")))).post("")
					.then().statusCode(200);
			// This patient's exam: the report is created final -> event 1, with the report in full.
			Bundle stored = bundle(fhir().body(json(Fixtures.examTransaction(mrn, Fixtures.unique("PO-TOPIC")))).post(""));
			String report = stored.getEntry().stream().map(e -> e.getResponse().getLocation())
					.filter(l -> l.startsWith("DiagnosticReport/")).map(l -> l.replaceAll("/_history/.*", ""))
					.findFirst().orElseThrow();
			await("event 1").atMost(WAIT).until(() -> receiver.notifications().size() == 2);
			Bundle first = receiver.notifications().get(1);
			assertThat(first.getType()).isEqualTo(Bundle.BundleType.HISTORY);
			Parameters event1 = status(first);
			assertThat(value(event1, "type")).isEqualTo("event-notification");
			assertThat(value(event1, "status")).isEqualTo("active");
			assertThat(value(event1, "events-since-subscription-start")).isEqualTo("1");
			assertThat(part(event1.getParameter("notification-event"), "event-number")).isEqualTo("1");
			assertThat(part(event1.getParameter("notification-event"), "focus")).isEqualTo(report);
			assertThat(first.getEntry()).hasSize(2);
			assertThat(first.getEntry().get(1).getResource()).isInstanceOf(DiagnosticReport.class);
			assertThat(first.getEntry().get(1).getResource().getIdElement().toUnqualifiedVersionless().getValue())
					.isEqualTo(report);

			// A status change -> event 2; an update that keeps the status is no event.
			DiagnosticReport r = parse(fhir().get("/" + report), DiagnosticReport.class);
			r.setConclusion("Same status, new words.");
			fhir().body(json(r)).put("/" + report).then().statusCode(200);
			r = parse(fhir().get("/" + report), DiagnosticReport.class);
			r.setStatus(DiagnosticReport.DiagnosticReportStatus.AMENDED);
			fhir().body(json(r)).put("/" + report).then().statusCode(200);
			await("event 2").atMost(WAIT).until(() -> receiver.notifications().size() == 3);
			Parameters event2 = status(receiver.notifications().get(2));
			assertThat(part(event2.getParameter("notification-event"), "event-number")).isEqualTo("2");
			assertThat(((DiagnosticReport) receiver.notifications().get(2).getEntry().get(1).getResource()).getStatus())
					.isEqualTo(DiagnosticReport.DiagnosticReportStatus.AMENDED);
			assertThat(receiver.notifications()).hasSize(3);

			// $events: both, as a query-event Bundle, here with ids only.
			Bundle events = bundle(fhirAs("ehr").get("/" + subscription + "/$events?eventsSinceNumber=1&content=id-only"));
			Parameters query = status(events);
			assertThat(value(query, "type")).isEqualTo("query-event");
			assertThat(query.getParameter().stream().filter(p -> p.getName().equals("notification-event"))
					.map(p -> part(p, "event-number")).toList()).containsExactly("1", "2");
			assertThat(events.getEntry()).hasSize(3).allSatisfy(e -> assertThat(e.hasResource() == (e == events.getEntryFirstRep())).isTrue());
			Bundle second = bundle(fhirAs("ehr").get("/" + subscription + "/$events?eventsSinceNumber=2&eventsUntilNumber=2"));
			assertThat(part(status(second).getParameter("notification-event"), "event-number")).isEqualTo("2");

			// $status: the IG's shape with the topic and the count; the delivery counts beside it.
			Parameters state = (Parameters) bundle(fhirAs("ehr").get("/" + subscription + "/$status")).getEntryFirstRep().getResource();
			assertThat(value(state, "topic")).isEqualTo(Topics.REPORT_URL);
			assertThat(value(state, "events-since-subscription-start")).isEqualTo("2");
			assertThat(part(state.getParameter("delivery"), "delivered")).isEqualTo("3");

			// Another client does not get this client's results.
			Response foreign = fhirAs("integration").get("/" + subscription + "/$events");
			assertThat(foreign.statusCode()).isEqualTo(403);
			assertThat(fhirAs("integration").get("/" + subscription + "/$status").statusCode()).isEqualTo(403);
			fhirAs("ehr").delete("/" + subscription).then().statusCode(200);
		}
	}

	@Test
	void receiverDown_theSubscriptionIsInError_andEverythingArrivesInOrderWhenItIsBack() throws Exception {
		try (Receiver receiver = new Receiver()) {
			String mrn = Fixtures.unique("MRN");
			String patient = create(Fixtures.patient(mrn));
			String subscription = subscribe("ehr", Topics.REPORT_URL, receiver, BackportIg.ID_ONLY, 0,
					"DiagnosticReport?patient=" + patient);
			await("active").atMost(WAIT).until(() -> statusOf(subscription) == Subscription.SubscriptionStatus.ACTIVE);

			receiver.answer = 500;
			Bundle stored = bundle(fhir().body(json(Fixtures.examTransaction(mrn, Fixtures.unique("PO-DOWN")))).post(""));
			String report = stored.getEntry().stream().map(e -> e.getResponse().getLocation())
					.filter(l -> l.startsWith("DiagnosticReport/")).map(l -> l.replaceAll("/_history/.*", ""))
					.findFirst().orElseThrow();
			await("error").atMost(WAIT).until(() -> statusOf(subscription) == Subscription.SubscriptionStatus.ERROR);
			assertThat(parse(fhir().get("/" + subscription), Subscription.class).getError()).isEqualTo("HTTP 500");
			DiagnosticReport r = parse(fhir().get("/" + report), DiagnosticReport.class);
			r.setStatus(DiagnosticReport.DiagnosticReportStatus.CORRECTED);
			fhir().body(json(r)).put("/" + report).then().statusCode(200);
			await("retried").atMost(WAIT).until(() -> receiver.refused.size() >= 3);

			receiver.answer = 200;
			await("caught up").atMost(WAIT).until(() -> receiver.notifications().size() == 3);
			assertThat(receiver.notifications().stream().skip(1).map(b -> part(status(b).getParameter("notification-event"),
					"event-number")).toList()).containsExactly("1", "2");
			await("active again").atMost(WAIT).until(() -> statusOf(subscription) == Subscription.SubscriptionStatus.ACTIVE);
			// The outbox's view of the same receiver: its channel, everything delivered, the failures counted.
			Parameters.ParametersParameterComponent owed = parse(fhirAs("integration")
					.get("/$delivery-status?receiver=" + subscription), Parameters.class).getParameterFirstRep();
			assertThat(part(owed, "channel")).isEqualTo("topic");
			assertThat(part(owed, "delivered")).isEqualTo("3");
			assertThat(part(owed, "pending")).isEqualTo("0");
			// id-only: the focus is named, its content is not sent.
			assertThat(receiver.notifications().get(1).getEntry().get(1).hasResource()).isFalse();
			assertThat(receiver.notifications().get(1).getEntry().get(1).getFullUrl()).endsWith(report);
			fhirAs("ehr").delete("/" + subscription).then().statusCode(200);
		}
	}

	@Test
	void heartbeat_atTheRequestedPeriod_whenNothingElseIsSent() throws Exception {
		try (Receiver receiver = new Receiver()) {
			String subscription = subscribe("ehr", Topics.REPORT_URL, receiver, BackportIg.EMPTY, 1,
					"DiagnosticReport?patient=Patient/no-such-patient-" + System.nanoTime());
			await("two heartbeats").atMost(WAIT).until(() -> receiver.notifications().stream()
					.filter(b -> "heartbeat".equals(value(status(b), "type"))).count() >= 2);
			Parameters beat = receiver.notifications().stream().map(TopicSubscriptionsRestTest::status)
					.filter(p -> "heartbeat".equals(value(p, "type"))).findFirst().orElseThrow();
			assertThat(value(beat, "status")).isEqualTo("active");
			assertThat(value(beat, "events-since-subscription-start")).isEqualTo("0");
			fhirAs("ehr").delete("/" + subscription).then().statusCode(200);
		}
	}

	@Test
	void orderTopic_firesWhenAnOrderIsRevoked() throws Exception {
		try (Receiver receiver = new Receiver()) {
			String patient = create(Fixtures.patient(Fixtures.unique("MRN")));
			String subscription = subscribe("ehr", Topics.ORDER_URL, receiver, BackportIg.FULL_RESOURCE, 0,
					"ServiceRequest?patient=" + patient);
			await("active").atMost(WAIT).until(() -> statusOf(subscription) == Subscription.SubscriptionStatus.ACTIVE);
			String order = create(Fixtures.order(Fixtures.unique("PO-REVOKE"), patient));
			ServiceRequest o = parse(fhir().get("/" + order), ServiceRequest.class);
			o.setStatus(ServiceRequest.ServiceRequestStatus.REVOKED);
			fhir().body(json(o)).put("/" + order).then().statusCode(200);
			await("event").atMost(WAIT).until(() -> receiver.notifications().size() == 2);
			Bundle event = receiver.notifications().get(1);
			assertThat(part(status(event).getParameter("notification-event"), "event-number")).isEqualTo("1");
			assertThat(part(status(event).getParameter("notification-event"), "focus")).isEqualTo(order);
			assertThat(((ServiceRequest) event.getEntry().get(1).getResource()).getStatus())
					.isEqualTo(ServiceRequest.ServiceRequestStatus.REVOKED);
			fhirAs("ehr").delete("/" + subscription).then().statusCode(200);
		}
	}

	@Test
	void unsupportedTopicSubscriptions_areRefusedWith422_namingWhat() throws Exception {
		try (Receiver receiver = new Receiver()) {
			Subscription unknown = topicSubscription(Topics.BASE + "no-such-topic", receiver, BackportIg.ID_ONLY, 0);
			assertRefused(unknown, "unknown topic", Topics.BASE + "no-such-topic");

			Subscription payload = topicSubscription(Topics.REPORT_URL, receiver, "everything", 0);
			assertRefused(payload, "unsupported payload 'everything'");

			Subscription filter = topicSubscription(Topics.REPORT_URL, receiver, BackportIg.ID_ONLY, 0);
			filter.getCriteriaElement().addExtension(BackportIg.FILTER_CRITERIA, new StringType("DiagnosticReport?code=123"));
			assertRefused(filter, "parameter 'code' is not supported");

			Subscription otherType = topicSubscription(Topics.REPORT_URL, receiver, BackportIg.ID_ONLY, 0);
			otherType.getCriteriaElement().addExtension(BackportIg.FILTER_CRITERIA, new StringType("Observation?patient=1"));
			assertRefused(otherType, "is about DiagnosticReport");

			Subscription noProfile = topicSubscription(Topics.REPORT_URL, receiver, BackportIg.ID_ONLY, 0);
			noProfile.getMeta().getProfile().clear();
			assertRefused(noProfile, BackportIg.SUBSCRIPTION_PROFILE);

			// Each topic is readable as the IG's R4 form of a SubscriptionTopic (a Basic), by any reader.
			org.hl7.fhir.r4.model.Basic published = parse(fhirAs("ehr").get("/Basic/bme-report-status"),
					org.hl7.fhir.r4.model.Basic.class);
			assertThat(published.getExtensionByUrl(
					"http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.url").getValue().primitiveValue())
					.isEqualTo(Topics.REPORT_URL);
			// The topics a client may name are listed where it looks first.
			org.hl7.fhir.r4.model.CapabilityStatement cs = parse(fhir().get("/metadata"),
					org.hl7.fhir.r4.model.CapabilityStatement.class);
			assertThat(cs.getRestFirstRep().getResource().stream().filter(r -> r.getType().equals("Subscription"))
					.flatMap(r -> r.getExtensionsByUrl(BackportIg.CAPABILITY_TOPIC_CANONICAL).stream())
					.map(e -> e.getValue().primitiveValue())).containsExactlyInAnyOrder(Topics.REPORT_URL, Topics.ORDER_URL);
		}
	}

	private void assertRefused(Subscription s, String... expected) {
		Response r = fhirAs("ehr").body(json(s)).post("/Subscription");
		assertThat(r.statusCode()).isEqualTo(422);
		assertThat(outcome(r).getIssueFirstRep().getDiagnostics()).contains(expected);
	}

	private String subscribe(String client, String topic, Receiver receiver, String content, int heartbeat,
			String filter) {
		Subscription s = topicSubscription(topic, receiver, content, heartbeat);
		s.getCriteriaElement().addExtension(BackportIg.FILTER_CRITERIA, new StringType(filter));
		Response r = fhirAs(client).body(json(s)).post("/Subscription");
		r.then().statusCode(201);
		return idFromLocation(r.header("Location"));
	}

	static Subscription topicSubscription(String topic, Receiver receiver, String content, int heartbeat) {
		Subscription s = new Subscription();
		s.getMeta().addProfile(BackportIg.SUBSCRIPTION_PROFILE);
		s.setStatus(Subscription.SubscriptionStatus.REQUESTED);
		s.setReason("topic subscription test");
		s.setCriteria(topic);
		s.getChannel().setType(Subscription.SubscriptionChannelType.RESTHOOK).setEndpoint(receiver.endpoint())
				.setPayload("application/fhir+json");
		s.getChannel().getPayloadElement().addExtension(BackportIg.PAYLOAD_CONTENT, new CodeType(content));
		if (heartbeat > 0) {
			s.getChannel().addExtension(BackportIg.HEARTBEAT_PERIOD, new UnsignedIntType(heartbeat));
		}
		s.getChannel().addHeader("Authorization: Bearer receiver-secret");
		return s;
	}

	private Subscription.SubscriptionStatus statusOf(String subscription) {
		return parse(fhir().get("/" + subscription), Subscription.class).getStatus();
	}

	static Parameters status(Bundle notification) {
		return (Parameters) notification.getEntryFirstRep().getResource();
	}

	static String value(Parameters p, String name) {
		ParametersParameterComponent param = p.getParameter(name);
		return param == null ? null : param.getValue().primitiveValue();
	}

	static String part(ParametersParameterComponent parent, String name) {
		return parent.getPart().stream().filter(p -> p.getName().equals(name))
				.map(p -> p.getValue() instanceof org.hl7.fhir.r4.model.Reference ref ? ref.getReference()
						: p.getValue().primitiveValue())
				.findFirst().orElse(null);
	}

	/** A rest-hook endpoint on loopback that answers {@link #answer} and keeps what it acknowledged. */
	static final class Receiver implements AutoCloseable {
		private final HttpServer server;
		final List<String> acknowledged = new CopyOnWriteArrayList<>();
		final List<String> refused = new CopyOnWriteArrayList<>();
		volatile int answer = 200;

		Receiver() throws IOException {
			server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
			server.createContext("/", exchange -> {
				String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
				int status = answer;
				boolean authorized = "Bearer receiver-secret".equals(exchange.getRequestHeaders().getFirst("Authorization"))
						&& "POST".equals(exchange.getRequestMethod());
				if (!authorized) {
					status = 401;
				}
				(status == 200 ? acknowledged : refused).add(body);
				exchange.sendResponseHeaders(status, -1);
				exchange.close();
			});
			server.start();
		}

		String endpoint() {
			return "http://127.0.0.1:" + server.getAddress().getPort() + "/ehr/notifications";
		}

		List<Bundle> notifications() {
			return acknowledged.stream().map(b -> CTX.newJsonParser().parseResource(Bundle.class, b)).toList();
		}

		@Override
		public void close() {
			server.stop(0);
		}
	}
}
