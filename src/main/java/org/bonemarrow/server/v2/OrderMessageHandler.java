package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.model.Message;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bonemarrow.server.security.CallerIdentity;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.springframework.stereotype.Component;

/**
 * Applies an ORM^O01 or OML^O21: maps it ({@link OrderMessageMapper}), finds the stored order of each cancel
 * (refusing a cancel of an order it does not know, or of another patient's order) and runs the one
 * transaction. New orders then get their Procedure and Task from the adapter (OrderCreatesProcedureAndTask),
 * revoked ones are wound down by OrderCancellationRule, exactly as for FHIR clients.
 */
@Component
public class OrderMessageHandler {

	private final V2Transactions transactions;

	public OrderMessageHandler(V2Transactions transactions) {
		this.transactions = transactions;
	}

	public void handle(Message message, CallerIdentity caller) {
		OrderMessageMapper.MappedOrders mapped = OrderMessageMapper.map(message);
		for (OrderMessageMapper.MappedOrder order : mapped.orders()) {
			if (order.control() != OrderMessageMapper.Control.NEW) {
				continue;
			}
			// Re-sending an order is harmless (the conditional create matches it), but the same placer number
			// for another patient would silently keep the first patient's order: refuse it instead.
			for (ServiceRequest existing : transactions.byIdentifier(ServiceRequest.class, V2Codes.PLACER_SYSTEM,
					order.placerNumber(), caller)) {
				if (!belongsTo(existing, mapped.mrn(), caller)) {
					throw V2Rejection.error(ErrorCode.DUPLICATE_KEY_IDENTIFIER, "ORC", 2,
							"ORC-2: this placer order number is already used by an order for another patient");
				}
			}
		}
		Map<String, ServiceRequest> stored = new HashMap<>();
		for (OrderMessageMapper.MappedOrder cancel : mapped.cancels()) {
			List<ServiceRequest> found = transactions.byIdentifier(ServiceRequest.class, V2Codes.PLACER_SYSTEM,
					cancel.placerNumber(), caller);
			if (found.isEmpty()) {
				throw V2Rejection.error(ErrorCode.UNKNOWN_KEY_IDENTIFIER, "ORC", 2,
						"ORC-2: no exam order with this placer order number is stored, so there is nothing to cancel");
			}
			ServiceRequest order = found.get(0);
			if (!belongsTo(order, mapped.mrn(), caller)) {
				throw V2Rejection.error(ErrorCode.UNKNOWN_KEY_IDENTIFIER, "PID", 3,
						"PID-3 does not identify the patient of the order named in ORC-2; the order was not cancelled");
			}
			stored.put(cancel.placerNumber(), order);
		}
		transactions.run(OrderMessageMapper.transaction(mapped, stored), caller);
	}

	/** Whether the order's subject carries this medical record number. */
	boolean belongsTo(ServiceRequest order, String mrn, CallerIdentity caller) {
		if (!order.getSubject().getReferenceElement().hasIdPart()) {
			return false;
		}
		return transactions.read(Patient.class, order.getSubject().getReferenceElement(), caller)
				.map(p -> hasMrn(p.getIdentifier(), mrn))
				.orElse(false);
	}

	static boolean hasMrn(List<Identifier> identifiers, String mrn) {
		return identifiers.stream().anyMatch(i -> V2Codes.MRN_SYSTEM.equals(i.getSystem()) && mrn.equals(i.getValue()));
	}
}
