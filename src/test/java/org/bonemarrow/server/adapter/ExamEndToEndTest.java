package org.bonemarrow.server.adapter;

import org.bonemarrow.server.support.TestReceiver;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.bonemarrow.server.support.FhirServerTest;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.Task;
import org.junit.jupiter.api.Test;

/**
 * One exam from order to final report, through REST only: the EHR orders and registers for results, the
 * performing service records the procedure and specimens, the lab posts a preliminary then a final report,
 * and the EHR's receiver is told.
 */
@FhirServerTest
class ExamEndToEndTest extends AdapterRestTestBase {

	@Test
	void orderToFinalReport_andTheOrdererIsNotified() throws Exception {
		try (TestReceiver ehr = new TestReceiver()) {
			// EHR: the order, then a Subscription for reports on it.
			ExamFlow flow = orderPlaced("exam-post-transplant-assessment.json");
			String order = flow.orderId();
			Subscription s = new Subscription();
			s.setStatus(Subscription.SubscriptionStatus.REQUESTED);
			s.setReason("results for my order");
			s.setCriteria("DiagnosticReport?based-on=" + order);
			s.getChannel().setType(Subscription.SubscriptionChannelType.RESTHOOK).setEndpoint(ehr.endpoint())
					.setPayload("application/fhir+json");
			String subscription = create(s);
			await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
					.until(() -> read(Subscription.class, subscription).getStatus() == Subscription.SubscriptionStatus.ACTIVE);
			assertThat(tasks(order)).singleElement().satisfies(t -> assertThat(t.getStatus()).isEqualTo(Task.TaskStatus.REQUESTED));

			// Performing service: finds the procedure from the order, completes it, posts the specimens.
			Procedure done = flow.sampleProcedure();
			done.setReport(List.of());
			done.setId(procedures(order).get(0).getIdElement().toUnqualifiedVersionless());
			flow.adoptProcedure(done.getIdElement().getValue());
			put(done).then().statusCode(200);
			post(flow, flow.transactionOf(List.of("Procedure", "Specimen")));
			assertThat(tasks(order).get(0).getStatus()).isEqualTo(Task.TaskStatus.INPROGRESS);

			// Lab: preliminary report with its observations, then the final one.
			post(flow, flow.reportTransaction(DiagnosticReportStatus.PRELIMINARY));
			String report = flow.idOf("DiagnosticReport");
			DiagnosticReport r = read(DiagnosticReport.class, report);
			r.setStatus(DiagnosticReportStatus.FINAL);
			put(r).then().statusCode(200);

			Task task = tasks(order).get(0);
			assertThat(task.getStatus()).isEqualTo(Task.TaskStatus.COMPLETED);
			assertThat(read(ServiceRequest.class, order).getStatus()).isEqualTo(ServiceRequest.ServiceRequestStatus.COMPLETED);
			assertThat(procedures(order).get(0).getReport()).extracting(x -> x.getReference()).containsExactly(report);

			await("final report at the EHR").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
					.until(() -> ehr.deliveries.stream().anyMatch(d -> d.body().contains("\"final\"")));
			fhir().delete("/" + subscription).then().statusCode(200);
		}
	}
}
