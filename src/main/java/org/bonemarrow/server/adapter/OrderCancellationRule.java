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
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Task;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * Workflow step 4: when the orderer revokes an exam order, its Procedure becomes not-done (stopped when
 * it had already started) with a status reason, and its Task cancelled. A procedure that is already
 * completed cannot be undone by revoking the order: the revocation is refused (409) and nothing changes.
 */
@Component
@Interceptor
// Off only with bonemarrow.adapter.enabled=false (set by bonemarrow.stock-mode, for the benchmark).
@ConditionalOnProperty(name = "bonemarrow.adapter.enabled", havingValue = "true", matchIfMissing = true)
public class OrderCancellationRule {

	public static final String RULE = "OrderCancellationRule";
	static final String REASON = "Exam order revoked by the orderer";

	private final ExamRecords records;
	private final AdapterWriter writer;

	public OrderCancellationRule(ExamRecords records, AdapterWriter writer, IInterceptorService jpaInterceptors) {
		this.records = records;
		this.writer = writer;
		AdapterRules.register(jpaInterceptors, this);
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
	public void orderUpdated(IBaseResource oldResource, IBaseResource newResource, RequestDetails request,
			TransactionDetails transaction) {
		if (AdapterWriter.isAdapterWrite() || !(newResource instanceof ServiceRequest order)
				|| !ExamOrders.isExamOrder(order) || !isRevocation(oldResource, order)) {
			return;
		}
		IIdType orderId = order.getIdElement().toUnqualifiedVersionless();
		List<Procedure> procedures = records.proceduresFor(orderId);
		for (Procedure p : procedures) {
			if (p.getStatus() == Procedure.ProcedureStatus.COMPLETED) {
				throw AdapterRefusal.conflict(RULE, "procedure " + p.getIdElement().toUnqualifiedVersionless().getValue()
						+ " for order " + orderId.getValue() + " is already completed; the order cannot be revoked");
			}
		}
		for (Procedure p : procedures) {
			Optional<Procedure.ProcedureStatus> next = procedureStatusOnRevoke(p.getStatus());
			if (next.isPresent()) {
				p.setStatus(next.get());
				p.setStatusReason(new CodeableConcept().setText(REASON));
				writer.update(p, RULE, "order revoked: procedure will not be done", orderId, request, transaction);
			}
		}
		for (Task task : records.tasksFor(orderId)) {
			if (ReportStatusTranslator.shouldMoveTask(task.getStatus(), Task.TaskStatus.CANCELLED)) {
				task.setStatus(Task.TaskStatus.CANCELLED);
				task.setStatusReason(new CodeableConcept().setText(REASON));
				writer.update(task, RULE, "order revoked: fulfilment task cancelled", orderId, request, transaction);
			}
		}
	}

	static boolean isRevocation(IBaseResource oldResource, ServiceRequest order) {
		boolean wasRevoked = oldResource instanceof ServiceRequest old
				&& old.getStatus() == ServiceRequest.ServiceRequestStatus.REVOKED;
		return order.getStatus() == ServiceRequest.ServiceRequestStatus.REVOKED && !wasRevoked;
	}

	/**
	 * not-done for a procedure that never started, stopped for one under way (FHIR event-status);
	 * empty for one already finished either way.
	 */
	static Optional<Procedure.ProcedureStatus> procedureStatusOnRevoke(Procedure.ProcedureStatus current) {
		if (current == null) {
			return Optional.of(Procedure.ProcedureStatus.NOTDONE);
		}
		return switch (current) {
			case PREPARATION, ONHOLD -> Optional.of(Procedure.ProcedureStatus.NOTDONE);
			case INPROGRESS -> Optional.of(Procedure.ProcedureStatus.STOPPED);
			default -> Optional.empty();
		};
	}
}
