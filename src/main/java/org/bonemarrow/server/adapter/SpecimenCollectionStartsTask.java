package org.bonemarrow.server.adapter;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Specimen;
import org.hl7.fhir.r4.model.Task;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * Workflow step 2: once the performing service is at work (the Procedure is in progress or completed, or
 * a Specimen collected for the order arrives), the order's Task moves to in-progress. Only forwards: a
 * Task already completed or cancelled is left alone.
 */
@Component
@Interceptor
// Off only with bonemarrow.adapter.enabled=false (set by bonemarrow.stock-mode, for the benchmark).
@ConditionalOnProperty(name = "bonemarrow.adapter.enabled", havingValue = "true", matchIfMissing = true)
public class SpecimenCollectionStartsTask {

	public static final String RULE = "SpecimenCollectionStartsTask";

	private final ExamRecords records;
	private final AdapterWriter writer;

	public SpecimenCollectionStartsTask(ExamRecords records, AdapterWriter writer, IInterceptorService jpaInterceptors) {
		this.records = records;
		this.writer = writer;
		AdapterRules.register(jpaInterceptors, this);
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
	public void created(IBaseResource resource, RequestDetails request, TransactionDetails transaction) {
		react(resource, request, transaction);
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
	public void updated(IBaseResource oldResource, IBaseResource newResource, RequestDetails request,
			TransactionDetails transaction) {
		react(newResource, request, transaction);
	}

	private void react(IBaseResource resource, RequestDetails request, TransactionDetails transaction) {
		if (AdapterWriter.isAdapterWrite()) {
			return;
		}
		List<IIdType> orders = ordersStartedBy(resource);
		for (IIdType orderId : orders) {
			records.taskFor(orderId)
					.filter(task -> ReportStatusTranslator.shouldMoveTask(task.getStatus(), Task.TaskStatus.INPROGRESS))
					.ifPresent(task -> {
						task.setStatus(Task.TaskStatus.INPROGRESS);
						writer.update(task, RULE, "the exam procedure has started (procedure or specimen recorded)",
								resource.getIdElement().toUnqualifiedVersionless(), request, transaction);
					});
		}
	}

	/** The orders a write shows to be under way: a collected specimen's requests, a started procedure's basedOn. */
	static List<IIdType> ordersStartedBy(IBaseResource resource) {
		if (resource instanceof Specimen specimen) {
			return ExamRecords.orderIds(specimen.getRequest());
		}
		if (resource instanceof Procedure procedure
				&& (procedure.getStatus() == Procedure.ProcedureStatus.INPROGRESS
						|| procedure.getStatus() == Procedure.ProcedureStatus.COMPLETED)) {
			return ExamRecords.orderIds(procedure.getBasedOn());
		}
		return List.of();
	}
}
