package org.bonemarrow.server.security.audit;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.model.DeleteConflictList;
import ca.uhn.fhir.jpa.delete.DeleteConflictOutcome;

/**
 * The audit trail records what happened to a resource; it must never keep the resource from being deleted.
 * Referential integrity on delete stays on for clinical references (a Procedure still pointing at its order
 * keeps the order), but a reference from an AuditEvent is not a conflict: without this, every resource
 * becomes undeletable (409) as soon as the AuditEvent of its own create is stored. The event keeps the
 * reference, so {@code AuditEvent?entity=Patient/1} still finds the history of a deleted patient.
 * HAPI's {@code enforceReferentialIntegrityOnDeleteDisableForPaths} would say the same, but HAPI 8.8 reads
 * it only for $delete-expunge, not for an ordinary DELETE.
 * Registered on HAPI's JPA interceptor service, where the delete conflict check calls its hooks.
 */
@Interceptor
public class AuditTrailNeverBlocksDelete {

	@Hook(Pointcut.STORAGE_PRESTORAGE_DELETE_CONFLICTS)
	public DeleteConflictOutcome deleteConflicts(DeleteConflictList conflicts) {
		conflicts.removeIf(c -> "AuditEvent".equals(c.getSourceId().getResourceType()));
		// null: nothing to retry; the remaining conflicts (if any) still refuse the delete.
		return null;
	}
}
