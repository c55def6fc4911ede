package org.bonemarrow.server.security.audit;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.subscription.model.ResourceModifiedMessage;

/**
 * Stored AuditEvents never go through subscription matching.
 * <ul>
 *   <li>Security: a Subscription on {@code AuditEvent} would push the audit trail to whatever endpoint the
 *       subscriber named, around the rule that only a scope naming AuditEvent reads it; with this, such a
 *       Subscription simply never fires.</li>
 *   <li>Cost: HAPI persists a queued-change row for every stored resource and deletes it in a transaction
 *       of its own once matched. AuditEvents are most of what the server stores (several per clinical
 *       write), so this was a large share of the database commits during exam ingest (BENCHMARKS.md).</li>
 * </ul>
 * Registered on HAPI's JPA interceptor service, where the subscription submitter asks before it queues.
 */
@Interceptor
public class AuditEventsNotSubscribable {

	private final FhirContext fhirContext;

	public AuditEventsNotSubscribable(FhirContext fhirContext) {
		this.fhirContext = fhirContext;
	}

	/** False stops HAPI from queueing (and matching) the change. */
	@Hook(Pointcut.SUBSCRIPTION_RESOURCE_MODIFIED)
	public boolean resourceModified(ResourceModifiedMessage message) {
		return !message.hasResourceType(fhirContext, "AuditEvent");
	}
}
