package org.bonemarrow.server.adapter;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Task;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * Status changes of orders, procedures, tasks and reports follow the FHIR state machines
 * ({@link StatusTransitions}); an update that breaks one is refused with 409 before anything is stored.
 * Applies to the adapter's own writes too, as a safety net.
 */
@Component
@Interceptor
// Off only with bonemarrow.adapter.enabled=false (set by bonemarrow.stock-mode, for the benchmark).
@ConditionalOnProperty(name = "bonemarrow.adapter.enabled", havingValue = "true", matchIfMissing = true)
public class ExamStatusTransitionRule {

	public static final String RULE = "ExamStatusTransitionRule";

	public ExamStatusTransitionRule(IInterceptorService jpaInterceptors) {
		AdapterRules.register(jpaInterceptors, this);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
	public void beforeUpdate(IBaseResource oldResource, IBaseResource newResource) {
		if (oldResource == null || newResource == null) {
			return;
		}
		String type = newResource.fhirType();
		String from = statusOf(oldResource);
		String to = statusOf(newResource);
		if (!StatusTransitions.isAllowed(type, from, to)) {
			throw AdapterRefusal.conflict(RULE, type + " status may not change from " + from + " to " + to
					+ " (FHIR " + type + " state machine)");
		}
	}

	static String statusOf(IBaseResource resource) {
		if (resource instanceof ServiceRequest r && r.hasStatus()) {
			return r.getStatus().toCode();
		}
		if (resource instanceof Procedure r && r.hasStatus()) {
			return r.getStatus().toCode();
		}
		if (resource instanceof Task r && r.hasStatus()) {
			return r.getStatus().toCode();
		}
		if (resource instanceof DiagnosticReport r && r.hasStatus()) {
			return r.getStatus().toCode();
		}
		return null;
	}
}
