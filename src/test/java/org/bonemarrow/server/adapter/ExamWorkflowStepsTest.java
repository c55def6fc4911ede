package org.bonemarrow.server.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.List;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Task;
import org.junit.jupiter.api.Test;

/** Workflow steps 1-4 through REST, as the EHR, the performing service and the lab would drive them. */
@FhirServerTest
class ExamWorkflowStepsTest extends AdapterRestTestBase {

	static final String SAMPLE = "exam-suspected-leukaemia.json";

	@Test
	void step1_orderCreatesProcedureAndTask_once_evenWhenReposted() {
		ExamFlow flow = orderPlaced(SAMPLE);
		String order = flow.orderId();

		List<Procedure> procedures = procedures(order);
		assertThat(procedures).hasSize(1);
		Procedure p = procedures.get(0);
		assertThat(p.getStatus()).isEqualTo(Procedure.ProcedureStatus.PREPARATION);
		assertThat(p.getSubject().getReference()).isEqualTo(flow.patientId());
		assertThat(p.getCode().getCodingFirstRep().getCode()).isEqualTo("aspiration-and-trephine");
		assertThat(p.getBodySiteFirstRep().getCodingFirstRep().getCode()).isEqualTo("ILCR");
		assertThat(p.getMeta().hasProfile(OrderTranslator.PROCEDURE_PROFILE)).isTrue();

		List<Task> tasks = tasks(order);
		assertThat(tasks).hasSize(1);
		Task t = tasks.get(0);
		assertThat(t.getStatus()).isEqualTo(Task.TaskStatus.REQUESTED);
		assertThat(t.getFor().getReference()).isEqualTo(flow.patientId());
		assertThat(t.getOwner().getReference()).startsWith("Practitioner/");

		// Same order again (conditional create on the placer order number): nothing new.
		Bundle again = post(flow, flow.orderTransaction());
		assertThat(again.getEntry()).filteredOn(e -> e.getResponse().getLocation().startsWith("ServiceRequest/"))
				.singleElement().satisfies(e -> assertThat(e.getResponse().getStatus()).startsWith("200"));
		assertThat(procedures(order)).hasSize(1);
		assertThat(tasks(order)).hasSize(1);
	}

	@Test
	void step2_procedureDoneAndSpecimensCollected_taskInProgress_andFoundFromOrder() {
		ExamFlow flow = orderPlaced(SAMPLE);
		String order = flow.orderId();
		Procedure done = flow.sampleProcedure();
		done.setReport(List.of());
		done.setId(procedures(order).get(0).getIdElement().toUnqualifiedVersionless());
		flow.adoptProcedure(done.getIdElement().getValue());
		put(done).then().statusCode(200);
		post(flow, flow.transactionOf(List.of("Procedure", "Specimen")));

		assertThat(tasks(order).get(0).getStatus()).isEqualTo(Task.TaskStatus.INPROGRESS);
		assertThat(procedures(order)).singleElement()
				.satisfies(p -> assertThat(p.getStatus()).isEqualTo(Procedure.ProcedureStatus.COMPLETED));
		assertThat(search(org.hl7.fhir.r4.model.Specimen.class, "patient=" + flow.patientId()))
				.hasSize(2).allMatch(s -> s.getRequestFirstRep().getReference().equals(order));
	}

	@Test
	void step3_reports_moveTaskAndOrder_andLinkProcedure() {
		ExamFlow flow = procedureDone(SAMPLE);
		String order = flow.orderId();

		post(flow, flow.reportTransaction(DiagnosticReportStatus.PRELIMINARY));
		assertThat(tasks(order).get(0).getStatus()).isEqualTo(Task.TaskStatus.INPROGRESS);
		String reportId = flow.idOf("DiagnosticReport");
		assertThat(procedures(order).get(0).getReport()).extracting(Reference::getReference).contains(reportId);

		DiagnosticReport report = read(DiagnosticReport.class, reportId);
		report.setStatus(DiagnosticReportStatus.FINAL);
		put(report).then().statusCode(200);

		Task task = tasks(order).get(0);
		assertThat(task.getStatus()).isEqualTo(Task.TaskStatus.COMPLETED);
		assertThat(task.getOutput()).extracting(o -> ((Reference) o.getValue()).getReference()).contains(reportId);
		assertThat(read(ServiceRequest.class, order).getStatus()).isEqualTo(ServiceRequest.ServiceRequestStatus.COMPLETED);

		// A second new final report for the closed order: refused, nothing stored.
		int observations = total("Observation?patient=" + flow.patientId());
		Response closed = transaction(flow.reportTransaction(DiagnosticReportStatus.FINAL));
		closed.then().statusCode(422);
		assertThat(outcome(closed).getIssueFirstRep().getDiagnostics()).contains(ReportUpdatesOrderAndTask.RULE, "completed and closed");
		assertThat(total("Observation?patient=" + flow.patientId())).isEqualTo(observations);

		// An amendment of the report is still accepted.
		report = read(DiagnosticReport.class, reportId);
		report.setStatus(DiagnosticReportStatus.AMENDED);
		put(report).then().statusCode(200);
	}

	@Test
	void step3_reportForRevokedOrder_refused_andNothingStored() {
		ExamFlow flow = procedureStarted(SAMPLE);
		ServiceRequest order = read(ServiceRequest.class, flow.orderId());
		order.setStatus(ServiceRequest.ServiceRequestStatus.REVOKED);
		put(order).then().statusCode(200);

		Response r = transaction(flow.reportTransaction(DiagnosticReportStatus.FINAL));
		r.then().statusCode(422);
		assertThat(outcome(r).getIssueFirstRep().getDiagnostics()).contains(ReportUpdatesOrderAndTask.RULE, "revoked");
		assertThat(total("Observation?patient=" + flow.patientId())).isZero();
		assertThat(total("DiagnosticReport?patient=" + flow.patientId())).isZero();
	}

	@Test
	void step3_reportForUnknownOrder_orForeignSpecimen_refused() {
		ExamFlow flow = procedureStarted(SAMPLE);
		Bundle unknown = flow.reportTransaction(DiagnosticReportStatus.FINAL);
		reportOf(unknown).getBasedOnFirstRep().setReference("ServiceRequest/does-not-exist-" + System.nanoTime());
		Response r = transaction(unknown);
		assertThat(r.statusCode()).isIn(400, 404, 422);
		assertThat(outcome(r).getIssueFirstRep().getDiagnostics()).contains("does-not-exist");

		// Specimen of another exam (another order of the same patient; another patient's specimen is
		// refused earlier, by SamePatientReferenceInterceptor): refused.
		String otherOrder = create(Fixtures.order(Fixtures.unique("PO"), flow.patientId()));
		String otherSpecimen = create(Fixtures.aspirate(otherOrder, flow.patientId()));
		Bundle foreign = flow.reportTransaction(DiagnosticReportStatus.FINAL);
		reportOf(foreign).getSpecimenFirstRep().setReference(otherSpecimen);
		Response f = transaction(foreign);
		f.then().statusCode(422);
		assertThat(outcome(f).getIssueFirstRep().getDiagnostics()).contains(ReportUpdatesOrderAndTask.RULE, "was not collected for order");
		assertThat(total("DiagnosticReport?patient=" + flow.patientId())).isZero();
	}

	@Test
	void step4_orderRevoked_procedureNotDone_taskCancelled() {
		ExamFlow flow = orderPlaced(SAMPLE);
		ServiceRequest order = read(ServiceRequest.class, flow.orderId());
		order.setStatus(ServiceRequest.ServiceRequestStatus.REVOKED);
		put(order).then().statusCode(200);

		Procedure p = procedures(flow.orderId()).get(0);
		assertThat(p.getStatus()).isEqualTo(Procedure.ProcedureStatus.NOTDONE);
		assertThat(p.getStatusReason().getText()).isEqualTo(OrderCancellationRule.REASON);
		assertThat(tasks(flow.orderId()).get(0).getStatus()).isEqualTo(Task.TaskStatus.CANCELLED);

		// Revoked is terminal: reactivating is an illegal transition.
		order = read(ServiceRequest.class, flow.orderId());
		order.setStatus(ServiceRequest.ServiceRequestStatus.ACTIVE);
		Response back = put(order);
		back.then().statusCode(409);
		assertThat(outcome(back).getIssueFirstRep().getDiagnostics()).contains(ExamStatusTransitionRule.RULE);
	}

	@Test
	void step4_revokingAfterCompletedProcedure_is409_andChangesNothing() {
		ExamFlow flow = procedureDone(SAMPLE);
		ServiceRequest order = read(ServiceRequest.class, flow.orderId());
		order.setStatus(ServiceRequest.ServiceRequestStatus.REVOKED);
		Response r = put(order);
		r.then().statusCode(409);
		assertThat(outcome(r).getIssueFirstRep().getDiagnostics()).contains(OrderCancellationRule.RULE, "already completed");
		assertThat(read(ServiceRequest.class, flow.orderId()).getStatus()).isEqualTo(ServiceRequest.ServiceRequestStatus.ACTIVE);
		assertThat(tasks(flow.orderId()).get(0).getStatus()).isEqualTo(Task.TaskStatus.INPROGRESS);
	}

	/** Order placed, specimens collected, procedure still in preparation (so the order can be revoked). */
	ExamFlow procedureStarted(String sample) {
		ExamFlow flow = orderPlaced(sample);
		post(flow, flow.transactionOf(List.of("Specimen")));
		return flow;
	}

	/** Order placed, procedure completed, specimens collected. */
	ExamFlow procedureDone(String sample) {
		ExamFlow flow = orderPlaced(sample);
		Procedure done = flow.sampleProcedure();
		done.setReport(List.of());
		done.setId(procedures(flow.orderId()).get(0).getIdElement().toUnqualifiedVersionless());
		flow.adoptProcedure(done.getIdElement().getValue());
		put(done).then().statusCode(200);
		post(flow, flow.transactionOf(List.of("Procedure", "Specimen")));
		return flow;
	}

	static DiagnosticReport reportOf(Bundle b) {
		return b.getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
				.filter(DiagnosticReport.class::isInstance).map(DiagnosticReport.class::cast).findFirst().orElseThrow();
	}
}
