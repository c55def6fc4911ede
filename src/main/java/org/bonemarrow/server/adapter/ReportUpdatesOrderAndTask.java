package org.bonemarrow.server.adapter;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import java.util.List;
import java.util.Optional;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.hl7.fhir.r4.model.Task;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * Workflow step 3: a report for an exam order is accepted only while the order can take it (it exists,
 * is not revoked, is not completed and closed, and the report's specimens were collected for it); it is
 * then linked to the Procedure ({@code Procedure.report}) and moves the Task and the order on. Every
 * check throws from inside the report's database transaction, so a refused report stores nothing, not
 * even the Observations posted with it in the same bundle.
 */
@Component
@Interceptor
// Off only with bonemarrow.adapter.enabled=false (set by bonemarrow.stock-mode, for the benchmark).
@ConditionalOnProperty(name = "bonemarrow.adapter.enabled", havingValue = "true", matchIfMissing = true)
public class ReportUpdatesOrderAndTask {

	public static final String RULE = "ReportUpdatesOrderAndTask";

	private final ExamRecords records;
	private final AdapterWriter writer;

	public ReportUpdatesOrderAndTask(ExamRecords records, AdapterWriter writer, IInterceptorService jpaInterceptors) {
		this.records = records;
		this.writer = writer;
		AdapterRules.register(jpaInterceptors, this);
	}

	/**
	 * Early check, before anything is stored, for the common single-resource case: a report naming an
	 * order id that does not exist gets this rule's answer rather than a generic reference error.
	 * (References to entries of the same bundle are still placeholders here; the pre-commit check covers them.)
	 */
	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
	public void beforeReportStored(IBaseResource resource) {
		if (AdapterWriter.isAdapterWrite() || !(resource instanceof DiagnosticReport report)) {
			return;
		}
		for (IIdType orderId : ExamRecords.orderIds(report.getBasedOn())) {
			if (records.order(orderId).isEmpty()) {
				throw AdapterRefusal.unprocessable(RULE, "the report is basedOn " + orderId.getValue()
						+ ", which does not exist; a report needs an existing, active exam order");
			}
		}
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
	public void reportCreated(IBaseResource resource, RequestDetails request, TransactionDetails transaction) {
		if (!AdapterWriter.isAdapterWrite() && resource instanceof DiagnosticReport report) {
			apply(report, true, request, transaction);
		}
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
	public void reportUpdated(IBaseResource oldResource, IBaseResource newResource, RequestDetails request,
			TransactionDetails transaction) {
		if (!AdapterWriter.isAdapterWrite() && newResource instanceof DiagnosticReport report) {
			apply(report, false, request, transaction);
		}
	}

	private void apply(DiagnosticReport report, boolean isNew, RequestDetails request, TransactionDetails transaction) {
		IIdType reportId = report.getIdElement().toUnqualifiedVersionless();
		for (IIdType orderId : ExamRecords.orderIds(report.getBasedOn())) {
			ServiceRequest order = records.order(orderId).orElseThrow(() -> AdapterRefusal.unprocessable(RULE,
					"the report is basedOn " + orderId.getValue() + ", which does not exist"));
			if (!ExamOrders.isExamOrder(order)) {
				continue;
			}
			Optional<Task> task = records.taskFor(orderId);
			boolean closed = order.getStatus() == ServiceRequest.ServiceRequestStatus.COMPLETED
					&& task.map(t -> StatusTransitions.isTerminalTask(t.getStatus().toCode()))
							.orElseGet(() -> hasOtherFinalReport(orderId, reportId));
			refusal(order, closed, report.getStatus(), isNew)
					.ifPresent(message -> {
						throw AdapterRefusal.unprocessable(RULE, message);
					});
			checkSpecimens(report, orderId);
			if (task.isEmpty() && OrderCreatesProcedureAndTask.appliesTo(order)) {
				// In a whole-exam bundle HAPI may run this hook before the order's own; the Task is made here
				// then, and the order's rule finds it and makes no second one.
				Task created = OrderTranslator.taskFor(order, orderId.getValue());
				created.setId(writer.create(created, RULE, "fulfilment task for the exam order (its report came first)",
						orderId, request, transaction));
				task = Optional.of(created);
			}
			linkToProcedures(report, reportId, orderId, request, transaction);
			moveTask(task, report, reportId, request, transaction);
			completeOrder(order, report, reportId, request, transaction);
		}
	}

	/**
	 * Why the order cannot take this report, or empty when it can. Pure, for unit tests.
	 * Closed: the order is completed and its Task finished, or (no Task) another final report is in; only
	 * amendments are still accepted then. An order completed in the same bundle as its report is not closed.
	 */
	static Optional<String> refusal(ServiceRequest order, boolean closed, DiagnosticReport.DiagnosticReportStatus report,
			boolean isNew) {
		String ref = order.getIdElement().toUnqualifiedVersionless().getValue();
		ServiceRequest.ServiceRequestStatus status = order.getStatus();
		if (status == ServiceRequest.ServiceRequestStatus.REVOKED) {
			return Optional.of("order " + ref + " is revoked; reports for it are not accepted");
		}
		if (status == ServiceRequest.ServiceRequestStatus.ENTEREDINERROR) {
			return Optional.of("order " + ref + " was entered in error; reports for it are not accepted");
		}
		if (status == ServiceRequest.ServiceRequestStatus.DRAFT || status == ServiceRequest.ServiceRequestStatus.ONHOLD) {
			return Optional.of("order " + ref + " is " + status.toCode() + ", not active; reports are accepted for active orders");
		}
		if (closed && isNew && !ReportStatusTranslator.isAmendment(report)) {
			return Optional.of("order " + ref + " is completed and closed (its final report is in); "
					+ "send an amended or corrected report instead of a new one");
		}
		return Optional.empty();
	}

	private void checkSpecimens(DiagnosticReport report, IIdType orderId) {
		for (Reference ref : report.getSpecimen()) {
			IIdType specimenId = ref.getReferenceElement();
			Specimen specimen = records.specimen(specimenId).orElseThrow(() -> AdapterRefusal.unprocessable(RULE,
					"specimen " + ref.getReference() + " of the report does not exist"));
			if (!ExamRecords.orderIds(specimen.getRequest()).contains(orderId)) {
				throw AdapterRefusal.unprocessable(RULE, "specimen " + specimenId.toUnqualifiedVersionless().getValue()
						+ " was not collected for order " + orderId.getValue() + " (Specimen.request)");
			}
		}
	}

	private void linkToProcedures(DiagnosticReport report, IIdType reportId, IIdType orderId, RequestDetails request,
			TransactionDetails transaction) {
		for (Procedure procedure : records.proceduresFor(orderId)) {
			boolean linked = procedure.getReport().stream()
					.anyMatch(r -> reportId.getIdPart().equals(r.getReferenceElement().getIdPart()));
			if (!linked) {
				procedure.addReport(new Reference(reportId.getValue()));
				writer.update(procedure, RULE, "links the exam report to its procedure", reportId, request, transaction);
			}
		}
	}

	private void moveTask(Optional<Task> found, DiagnosticReport report, IIdType reportId, RequestDetails request,
			TransactionDetails transaction) {
		Optional<Task.TaskStatus> target = ReportStatusTranslator.taskStatusFor(report.getStatus());
		if (found.isEmpty() || target.isEmpty()) {
			return;
		}
		Task task = found.get();
		boolean changed = false;
		if (ReportStatusTranslator.shouldMoveTask(task.getStatus(), target.get())) {
			task.setStatus(target.get());
			changed = true;
		}
		if (target.get() == Task.TaskStatus.COMPLETED && !hasOutput(task, reportId)) {
			task.addOutput().setValue(new Reference(reportId.getValue())).getType().setText("exam report");
			changed = true;
		}
		if (changed) {
			writer.update(task, RULE, "report " + report.getStatus().toCode() + " moves the fulfilment task",
					reportId, request, transaction);
		}
	}

	private void completeOrder(ServiceRequest order, DiagnosticReport report, IIdType reportId, RequestDetails request,
			TransactionDetails transaction) {
		Optional<ServiceRequest.ServiceRequestStatus> target = ReportStatusTranslator.orderStatusFor(report.getStatus());
		if (target.isPresent() && order.getStatus() == ServiceRequest.ServiceRequestStatus.ACTIVE) {
			order.setStatus(target.get());
			writer.update(order, RULE, "final report completes the exam order", reportId, request, transaction);
		}
	}

	private boolean hasOtherFinalReport(IIdType orderId, IIdType reportId) {
		return records.reportsFor(orderId).stream()
				.filter(r -> !reportId.getIdPart().equals(r.getIdElement().getIdPart()))
				.anyMatch(r -> ReportStatusTranslator.orderStatusFor(r.getStatus()).isPresent());
	}

	private static boolean hasOutput(Task task, IIdType reportId) {
		return task.getOutput().stream().anyMatch(o -> o.getValue() instanceof Reference r
				&& reportId.getIdPart().equals(r.getReferenceElement().getIdPart()));
	}

	/** For tests: the orders a report names. */
	static List<IIdType> ordersOf(DiagnosticReport report) {
		return ExamRecords.orderIds(report.getBasedOn());
	}
}
