package org.bonemarrow.server.adapter;

import org.bonemarrow.server.support.TestReceiver;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restassured.response.Response;
import java.time.Duration;
import java.util.List;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.SampleBundles;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.Task;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Workflow steps 5-7 (results out, the whole exam at once, provenance) and whole-exam sample bundles. */
@FhirServerTest
class ExamWorkflowOutcomesTest extends AdapterRestTestBase {

	static final String SAMPLE = "exam-lymphoma-staging.json";

	@Test
	void step5_orderersSubscription_receivesTheReport_withItsHeaders() throws Exception {
		try (TestReceiver receiver = new TestReceiver()) {
			ExamFlow flow = orderPlaced(SAMPLE);
			String subscription = subscribe(receiver, "DiagnosticReport?based-on=" + flow.orderId());
			post(flow, flow.transactionOf(List.of("Specimen")));
			post(flow, flow.reportTransaction(DiagnosticReportStatus.PRELIMINARY));
			String reportId = flow.idOf("DiagnosticReport");

			await("notification at the orderer's endpoint").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
					.until(() -> receiver.deliveries.stream().anyMatch(d -> d.body().contains(reportId.substring(reportId.indexOf('/') + 1))));
			TestReceiver.Delivery d = receiver.deliveries.get(0);
			assertThat(d.path()).startsWith("/ehr/fhir/DiagnosticReport/");
			assertThat(d.authorization()).isEqualTo("Bearer ehr-token");
			assertThat(d.body()).contains("\"preliminary\"");
			fhir().delete("/" + subscription).then().statusCode(200);
		}
	}

	@Test
	void step5_aFailedDeliveryIsRetried() throws Exception {
		try (TestReceiver receiver = new TestReceiver(1)) {
			ExamFlow flow = orderPlaced(SAMPLE);
			String subscription = subscribe(receiver, "DiagnosticReport?based-on=" + flow.orderId());
			post(flow, flow.transactionOf(List.of("Specimen")));
			post(flow, flow.reportTransaction(DiagnosticReportStatus.PRELIMINARY));
			String reportId = flow.idOf("DiagnosticReport");
			String reportIdPart = reportId.substring(reportId.indexOf('/') + 1);

			// The first attempt is answered 503; HAPI must try again and reach the receiver a second time.
			await("second delivery attempt after a 503").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
					.until(() -> receiver.deliveries.stream().filter(d -> d.body().contains(reportIdPart)).count() >= 2);
			fhir().delete("/" + subscription).then().statusCode(200);
		}
	}

	@Test
	void step6_examSummary_returnsTheWholeExam() {
		ExamFlow flow = orderPlaced(SAMPLE);
		Procedure done = flow.sampleProcedure();
		done.setReport(List.of());
		done.setId(procedures(flow.orderId()).get(0).getIdElement().toUnqualifiedVersionless());
		flow.adoptProcedure(done.getIdElement().getValue());
		put(done).then().statusCode(200);
		post(flow, flow.transactionOf(List.of("Procedure", "Specimen")));
		post(flow, flow.reportTransaction(DiagnosticReportStatus.FINAL));

		Response r = fhir().get("/" + flow.orderId() + "/$exam-summary");
		r.then().statusCode(200);
		Bundle summary = bundle(r);
		assertThat(summary.getType()).isEqualTo(Bundle.BundleType.COLLECTION);
		List<String> types = summary.getEntry().stream().map(e -> e.getResource().fhirType()).toList();
		assertThat(types).contains("ServiceRequest", "Patient", "Procedure", "Task", "Specimen", "DiagnosticReport", "Observation");
		long specimens = flow.transactionOf(List.of("Specimen")).getEntry().size();
		assertThat(types.stream().filter("Specimen"::equals).count()).isEqualTo(specimens);
		long observations = flow.reportTransaction(DiagnosticReportStatus.FINAL).getEntry().stream()
				.filter(e -> e.getResource().fhirType().equals("Observation")).count();
		assertThat(types.stream().filter("Observation"::equals).count()).isEqualTo(observations);
		assertThat(summary.getEntry().get(0).getResource().getIdElement().toUnqualifiedVersionless().getValue()).isEqualTo(flow.orderId());

		fhir().get("/ServiceRequest/no-such-order/$exam-summary").then().statusCode(404);
	}

	@Test
	void step7_everyAdapterWrite_hasProvenance_clinicalWritesHaveNone() {
		ExamFlow flow = orderPlaced(SAMPLE);
		String task = tasks(flow.orderId()).get(0).getIdElement().toUnqualifiedVersionless().getValue();
		String procedure = procedures(flow.orderId()).get(0).getIdElement().toUnqualifiedVersionless().getValue();

		for (String target : List.of(task, procedure)) {
			List<Provenance> trail = search(Provenance.class, "target=" + target);
			assertThat(trail).isNotEmpty().allSatisfy(p -> {
				assertThat(p.getActivity().getCodingFirstRep().getCode()).isEqualTo(OrderCreatesProcedureAndTask.RULE);
				assertThat(p.getEntityFirstRep().getWhat().getReference()).isEqualTo(flow.orderId());
				assertThat(p.getAgentFirstRep().getWho().getDisplay()).isEqualTo(AdapterProvenance.ADAPTER_NAME);
			});
		}
		assertThat(search(Provenance.class, "target=" + flow.orderId())).isEmpty();

		// A later rule's writes name that rule and their own trigger.
		post(flow, flow.transactionOf(List.of("Specimen")));
		assertThat(search(Provenance.class, "target=" + task))
				.anySatisfy(p -> assertThat(p.getActivity().getCodingFirstRep().getCode()).isEqualTo(SpecimenCollectionStartsTask.RULE));
	}

	/** The README's curl example: a whole exam (order, procedure, specimens, final report) in one transaction. */
	@ParameterizedTest
	@ValueSource(strings = {"exam-suspected-leukaemia.json", "exam-lymphoma-staging.json", "exam-iron-assessment.json",
			"exam-myeloma-treatment-monitoring.json", "exam-fever-unknown-origin-culture.json", "exam-post-transplant-assessment.json"})
	void wholeExamBundle_linksItsOwnProcedure_andCompletesTheTask(String file) {
		Bundle sample = SampleBundles.unique(file);
		Response r = transaction(sample);
		r.then().statusCode(200);
		String order = bundle(r).getEntry().stream().map(e -> e.getResponse().getLocation())
				.filter(l -> l.startsWith("ServiceRequest/")).findFirst().orElseThrow().replaceAll("/_history/.*", "");

		List<Procedure> procedures = procedures(order);
		assertThat(procedures).hasSize(1);
		String report = search(DiagnosticReport.class, "based-on=" + order).get(0).getIdElement().toUnqualifiedVersionless().getValue();
		assertThat(procedures.get(0).getReport()).extracting(Reference::getReference).containsExactly(report);
		// Exactly one fulfilment Task, whichever of the order's and the report's rules ran first.
		List<Task> tasks = tasks(order);
		assertThat(tasks).hasSize(1);
		Task task = tasks.get(0);
		assertThat(task.getStatus()).isEqualTo(Task.TaskStatus.COMPLETED);
		assertThat(task.getOutput()).extracting(o -> ((Reference) o.getValue()).getReference()).containsExactly(report);
		assertThat(read(ServiceRequest.class, order).getStatus()).isEqualTo(ServiceRequest.ServiceRequestStatus.COMPLETED);
	}

	String subscribe(TestReceiver receiver, String criteria) {
		Subscription s = new Subscription();
		s.setStatus(Subscription.SubscriptionStatus.REQUESTED);
		s.setReason("EHR wants its bone marrow results");
		s.setCriteria(criteria);
		s.getChannel().setType(Subscription.SubscriptionChannelType.RESTHOOK)
				.setEndpoint(receiver.endpoint()).setPayload("application/fhir+json").addHeader("Authorization: Bearer ehr-token");
		ResultNotificationReceivers.withRetries(s, 3);
		String id = create(s);
		await("subscription active").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
				.until(() -> read(Subscription.class, id).getStatus() == Subscription.SubscriptionStatus.ACTIVE);
		return id;
	}
}
