package org.bonemarrow.server.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.h2.jdbcx.JdbcDataSource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.UnsignedIntType;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/** The pure mapping of topic Subscriptions: filters, reading a Subscription, triggers, the notification Bundle, event numbers. */
class TopicMappingTest {

	@Test
	void filtersAreSearchSyntax_andOnlyTheTopicsParametersAreUnderstood() {
		TopicFilter f = TopicFilter.parse("DiagnosticReport?patient=Patient/1,2&status=final", Topics.REPORT).filter();
		assertThat(f.matches(report("Patient/2", DiagnosticReportStatus.FINAL))).isTrue();
		assertThat(f.matches(report("Patient/1", DiagnosticReportStatus.FINAL))).isTrue();
		assertThat(f.matches(report("Patient/3", DiagnosticReportStatus.FINAL))).isFalse();
		assertThat(f.matches(report("Patient/2", DiagnosticReportStatus.PRELIMINARY))).isFalse();
		assertThat(TopicFilter.parse("DiagnosticReport?patient=7", Topics.REPORT).filter()
				.matches(report("Patient/7", DiagnosticReportStatus.FINAL))).isTrue();

		assertThat(TopicFilter.parse("DiagnosticReport?code=x", Topics.REPORT).refusal()).contains("'code' is not supported");
		assertThat(TopicFilter.parse("DiagnosticReport?patient:missing=true", Topics.REPORT).refusal())
				.contains("'patient:missing' is not supported");
		assertThat(TopicFilter.parse("Observation?patient=1", Topics.REPORT).refusal()).contains("is about DiagnosticReport");
		assertThat(TopicFilter.parse("DiagnosticReport?patient=", Topics.REPORT).refusal()).contains("has no value");
		assertThat(TopicFilter.parse("DiagnosticReport", Topics.REPORT).refusal()).contains("has no parameter");
	}

	@Test
	void aSubscriptionIsReadWithDefaults_orRefusedWithEveryProblemNamed() {
		Subscription s = subscription(Topics.REPORT_URL);
		s.getCriteriaElement().addExtension(BackportIg.FILTER_CRITERIA, new StringType("DiagnosticReport?patient=Patient/1"));
		s.getChannel().addExtension(BackportIg.HEARTBEAT_PERIOD, new UnsignedIntType(60));
		TopicSubscription read = TopicSubscription.read(s).subscription();
		assertThat(read.topic()).isEqualTo(Topics.REPORT);
		assertThat(read.content()).isEqualTo(BackportIg.ID_ONLY);
		assertThat(read.heartbeatSeconds()).isEqualTo(60);
		assertThat(TopicSubscription.filtersFrom(read.filtersText(), Topics.REPORT)).isEqualTo(read.filters());

		Subscription bad = subscription("https://elsewhere.example/topic");
		bad.getMeta().getProfile().clear();
		bad.getChannel().setType(Subscription.SubscriptionChannelType.EMAIL);
		bad.getChannel().getPayloadElement().addExtension(BackportIg.PAYLOAD_CONTENT, new CodeType("everything"));
		bad.getChannel().addExtension(BackportIg.HEARTBEAT_PERIOD, new StringType("soon"));
		TopicSubscription.Read refused = TopicSubscription.read(bad);
		assertThat(refused.subscription()).isNull();
		assertThat(String.join("\n", refused.problems())).contains("meta.profile", "unknown topic", "only rest-hook",
				"unsupported payload 'everything'", "backport-heartbeat-period: 'soon'");
	}

	@Test
	void theReportTopicFiresOnCreateAndStatusChange_theOrderTopicOnStatusChangeOnly() {
		DiagnosticReport preliminary = report("Patient/1", DiagnosticReportStatus.PRELIMINARY);
		DiagnosticReport edited = report("Patient/1", DiagnosticReportStatus.PRELIMINARY).setConclusion("edited");
		DiagnosticReport fin = report("Patient/1", DiagnosticReportStatus.FINAL);
		assertThat(Topics.REPORT.fires(null, preliminary, r -> true)).isTrue();
		assertThat(Topics.REPORT.fires(preliminary, edited, r -> true)).isFalse();
		assertThat(Topics.REPORT.fires(preliminary, fin, r -> true)).isTrue();
		assertThat(Topics.REPORT.fires(null, preliminary, r -> false)).as("not our exam report").isFalse();

		ServiceRequest active = new ServiceRequest().setStatus(ServiceRequest.ServiceRequestStatus.ACTIVE);
		ServiceRequest revoked = new ServiceRequest().setStatus(ServiceRequest.ServiceRequestStatus.REVOKED);
		assertThat(Topics.ORDER.fires(null, active, r -> true)).isFalse();
		assertThat(Topics.ORDER.fires(active, revoked, r -> true)).isTrue();
		assertThat(Topics.REPORT.fires(active, revoked, r -> true)).as("another type").isFalse();
	}

	@Test
	void theNotificationIsAHistoryBundleOpenedByTheStatusParameters() {
		List<TopicEventStore.Event> events = List.of(
				new TopicEventStore.Event(4, Topics.REPORT_URL, "DiagnosticReport/9/_history/1", Instant.parse("2026-11-26T10:00:00Z")),
				new TopicEventStore.Event(5, Topics.REPORT_URL, "DiagnosticReport/9/_history/2", Instant.parse("2026-11-26T10:05:00Z")));
		Bundle full = TopicNotifications.build("12", Topics.REPORT_URL, "active", TopicNotifications.EVENT_NOTIFICATION, 5,
				events, BackportIg.FULL_RESOURCE, v -> new DiagnosticReport().setId(v), "https://fhir.example/fhir", null);
		assertThat(full.getType()).isEqualTo(Bundle.BundleType.HISTORY);
		Parameters status = (Parameters) full.getEntryFirstRep().getResource();
		assertThat(status.getMeta().getProfile().get(0).getValue()).isEqualTo(BackportIg.STATUS_PROFILE);
		assertThat(status.getParameter("subscription").getValue()).isInstanceOfSatisfying(Reference.class,
				r -> assertThat(r.getReference()).isEqualTo("Subscription/12"));
		assertThat(status.getParameter("topic").getValue().primitiveValue()).isEqualTo(Topics.REPORT_URL);
		assertThat(status.getParameter("type").getValue().primitiveValue()).isEqualTo("event-notification");
		assertThat(status.getParameter("events-since-subscription-start").getValue().primitiveValue()).isEqualTo("5");
		List<Parameters.ParametersParameterComponent> notified = status.getParameter().stream()
				.filter(p -> p.getName().equals("notification-event")).toList();
		assertThat(notified).extracting(p -> p.getPart().get(0).getValue().primitiveValue()).containsExactly("4", "5");
		assertThat(notified.get(0).getPart()).extracting(Parameters.ParametersParameterComponent::getName)
				.containsExactly("event-number", "timestamp", "focus");
		assertThat(full.getEntry()).hasSize(3);
		assertThat(full.getEntry().get(1).getFullUrl()).isEqualTo("https://fhir.example/fhir/DiagnosticReport/9");
		assertThat(full.getEntry().get(1).getRequest().getMethod()).isEqualTo(Bundle.HTTPVerb.POST);
		assertThat(full.getEntry().get(1).getResponse().getStatus()).isEqualTo("201");
		assertThat(full.getEntry().get(2).getRequest().getMethod()).isEqualTo(Bundle.HTTPVerb.PUT);
		assertThat(full.getEntry().get(2).hasResource()).isTrue();

		Bundle empty = TopicNotifications.build("12", Topics.REPORT_URL, "active", TopicNotifications.EVENT_NOTIFICATION, 5,
				events, BackportIg.EMPTY, null, "", null);
		assertThat(empty.getEntry()).hasSize(1);
		assertThat(((Parameters) empty.getEntryFirstRep().getResource()).getParameter().stream()
				.flatMap(p -> p.getPart().stream()).map(Parameters.ParametersParameterComponent::getName)).doesNotContain("focus");
	}

	@Test
	void eventNumbersCountUpPerSubscription_andARolledBackWriteGivesItsNumberBack() {
		JdbcDataSource ds = new JdbcDataSource();
		ds.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
		TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(ds));
		TopicEventStore store = new TopicEventStore(ds, Clock.systemUTC());
		Subscription a = subscription(Topics.REPORT_URL);
		a.setId("a");
		Subscription b = subscription(Topics.REPORT_URL);
		b.setId("b");
		store.written(TopicSubscription.read(a).subscription(), "active", "ehr");
		store.written(TopicSubscription.read(b).subscription(), "active", null);

		assertThat(tx.<Long>execute(t -> store.nextEventNumber("a"))).isEqualTo(1L);
		assertThat(tx.<Long>execute(t -> store.nextEventNumber("a"))).isEqualTo(2L);
		assertThat(tx.<Long>execute(t -> store.nextEventNumber("b"))).isEqualTo(1L);
		tx.executeWithoutResult(t -> {
			store.nextEventNumber("a");
			t.setRollbackOnly();
		});
		assertThat(tx.<Long>execute(t -> store.nextEventNumber("a"))).isEqualTo(3L);
		assertThat(store.state("a").orElseThrow().owner()).isEqualTo("ehr");
		assertThat(store.subscribers(Topics.REPORT_URL)).extracting(TopicEventStore.Subscriber::subscriptionId)
				.containsExactly("a", "b");
		store.gone("b");
		assertThat(store.subscribers(Topics.REPORT_URL)).extracting(TopicEventStore.Subscriber::subscriptionId)
				.containsExactly("a");
	}

	private static DiagnosticReport report(String patient, DiagnosticReportStatus status) {
		DiagnosticReport r = new DiagnosticReport();
		r.setSubject(new Reference(patient));
		r.setStatus(status);
		return r;
	}

	private static Subscription subscription(String topic) {
		Subscription s = new Subscription();
		s.getMeta().addProfile(BackportIg.SUBSCRIPTION_PROFILE);
		s.setStatus(Subscription.SubscriptionStatus.REQUESTED);
		s.setCriteria(topic);
		s.getChannel().setType(Subscription.SubscriptionChannelType.RESTHOOK).setEndpoint("https://ehr.example/hook")
				.setPayload("application/fhir+json");
		return s;
	}
}
