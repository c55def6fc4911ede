package org.bonemarrow.server.adapter;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ResourceVersionConflictException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import org.hl7.fhir.r4.model.OperationOutcome;

/**
 * The adapter's refusals. Every one names the workflow rule that refused, in the diagnostics and in
 * the OperationOutcome's {@code expression}-free details text, so an integrator can tell an adapter
 * refusal from a profile (validation) refusal without reading server logs. Thrown from a storage hook,
 * the exception also rolls back the whole database transaction of the triggering request.
 */
public final class AdapterRefusal {

	private AdapterRefusal() {}

	/** 422: the request is well-formed but the workflow cannot accept it (unknown or closed order, ...). */
	public static UnprocessableEntityException unprocessable(String rule, String message) {
		String text = diagnostics(rule, message);
		return new UnprocessableEntityException(text, outcome(rule, text, OperationOutcome.IssueType.BUSINESSRULE));
	}

	/** 409: the request conflicts with the current state (illegal status transition, completed procedure). */
	public static ResourceVersionConflictException conflict(String rule, String message) {
		String text = diagnostics(rule, message);
		ResourceVersionConflictException e = new ResourceVersionConflictException(text);
		e.setOperationOutcome(outcome(rule, text, OperationOutcome.IssueType.CONFLICT));
		return e;
	}

	static String diagnostics(String rule, String message) {
		return "Workflow rule " + rule + ": " + message;
	}

	static OperationOutcome outcome(String rule, String text, OperationOutcome.IssueType type) {
		OperationOutcome oo = new OperationOutcome();
		oo.addIssue()
				.setSeverity(OperationOutcome.IssueSeverity.ERROR)
				.setCode(type)
				.setDiagnostics(text)
				.getDetails().setText(rule);
		return oo;
	}

	/** For tests and logs: the rule a refusal names, or null when it is not one of ours. */
	public static String ruleOf(BaseServerResponseException e) {
		if (e.getOperationOutcome() instanceof OperationOutcome oo && oo.hasIssue()) {
			return oo.getIssueFirstRep().getDetails().getText();
		}
		return null;
	}
}
