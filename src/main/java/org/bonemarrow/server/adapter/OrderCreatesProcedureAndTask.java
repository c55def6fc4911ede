package org.bonemarrow.server.adapter;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * Workflow step 1: a new exam order gets its Procedure (status preparation) and its fulfilment Task, in
 * the order's own database transaction. Pre-commit, because in a FHIR transaction HAPI defers these
 * hooks until every entry is written and its references resolved: a Procedure posted in the same bundle
 * is then found and linked instead of a second one being made. A conditional create that matches an
 * existing order creates nothing, so this hook does not fire and re-posting an order is harmless.
 */
@Component
@Interceptor
// Off only with bonemarrow.adapter.enabled=false (set by bonemarrow.stock-mode, for the benchmark).
@ConditionalOnProperty(name = "bonemarrow.adapter.enabled", havingValue = "true", matchIfMissing = true)
public class OrderCreatesProcedureAndTask {

	public static final String RULE = "OrderCreatesProcedureAndTask";
	private static final Logger log = LoggerFactory.getLogger(OrderCreatesProcedureAndTask.class);

	private final ExamRecords records;
	private final AdapterWriter writer;

	public OrderCreatesProcedureAndTask(ExamRecords records, AdapterWriter writer, IInterceptorService jpaInterceptors) {
		this.records = records;
		this.writer = writer;
		AdapterRules.register(jpaInterceptors, this);
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
	public void orderCreated(IBaseResource resource, RequestDetails request, TransactionDetails transaction) {
		if (AdapterWriter.isAdapterWrite() || !(resource instanceof ServiceRequest order) || !appliesTo(order)) {
			return;
		}
		IIdType orderId = order.getIdElement().toUnqualifiedVersionless();
		String orderRef = orderId.getValue();
		if (records.proceduresFor(orderId).isEmpty()) {
			writer.create(OrderTranslator.procedureFor(order, orderRef), RULE,
					"procedure record for the new exam order", orderId, request, transaction);
		} else {
			// The EHR (or a whole-exam bundle) already sent the Procedure: its basedOn is the link.
			log.info("{}: {} already has a procedure, none created", RULE, orderRef);
		}
		if (records.taskFor(orderId).isEmpty()) {
			writer.create(OrderTranslator.taskFor(order, orderRef), RULE,
					"fulfilment task for the new exam order", orderId, request, transaction);
		}
	}

	/** Orders that are live (active) or arrive already done with their exam in the same bundle. */
	static boolean appliesTo(ServiceRequest order) {
		return ExamOrders.isExamOrder(order)
				&& (order.getStatus() == ServiceRequest.ServiceRequestStatus.ACTIVE
						|| order.getStatus() == ServiceRequest.ServiceRequestStatus.COMPLETED);
	}
}
