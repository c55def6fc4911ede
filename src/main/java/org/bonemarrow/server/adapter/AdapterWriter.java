package org.bonemarrow.server.adapter;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.api.model.DaoMethodOutcome;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.storage.TransactionDetails;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Resource;
import jakarta.persistence.EntityManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The only way the adapter writes: through HAPI's DAOs, with the triggering request's RequestDetails and
 * TransactionDetails, from inside a pre-commit hook. HAPI's DAOs join the active Spring transaction
 * (propagation REQUIRED), so what the adapter writes commits or rolls back with the clinical write that
 * caused it. Every write is followed by its Provenance.
 *
 * <p>While the adapter writes, the rules must not react to their own writes (a Task update is not a
 * clinical event); {@link #isAdapterWrite()} tells them. Logs carry resource ids and rule names only.
 */
@Component
public class AdapterWriter {

	private static final Logger log = LoggerFactory.getLogger(AdapterWriter.class);
	private static final ThreadLocal<Integer> DEPTH = ThreadLocal.withInitial(() -> 0);
	private static final ThreadLocal<String> RULE = new ThreadLocal<>();

	private final DaoRegistry daos;
	private final EntityManager entityManager;

	public AdapterWriter(DaoRegistry daos, EntityManager entityManager) {
		this.daos = daos;
		this.entityManager = entityManager;
	}

	/** True while the current thread is inside an adapter write (hooks fired by it are not clinical). */
	public static boolean isAdapterWrite() {
		return DEPTH.get() > 0;
	}

	/** The rule writing on this thread right now, so the audit trail can name it. */
	public static java.util.Optional<String> currentRule() {
		return java.util.Optional.ofNullable(RULE.get());
	}

	public IIdType create(Resource resource, String rule, String reason, IIdType trigger,
			RequestDetails request, TransactionDetails transaction) {
		return write(resource, false, rule, reason, trigger, request, transaction);
	}

	public IIdType update(Resource resource, String rule, String reason, IIdType trigger,
			RequestDetails request, TransactionDetails transaction) {
		return write(resource, true, rule, reason, trigger, request, transaction);
	}

	@SuppressWarnings({"unchecked", "rawtypes"})
	private IIdType write(Resource resource, boolean update, String rule, String reason, IIdType trigger,
			RequestDetails request, TransactionDetails transaction) {
		DEPTH.set(DEPTH.get() + 1);
		String outerRule = RULE.get();
		RULE.set(rule);
		try {
			IFhirResourceDao dao = daos.getResourceDao(resource.fhirType());
			TransactionDetails details = transaction != null ? transaction : new TransactionDetails();
			// The rule read the resource inside this same database transaction and HAPI holds the row for
			// us; a version in the id would only make a second rule's update in the same bundle conflict.
			resource.setId(resource.getIdElement().toUnqualifiedVersionless());
			DaoMethodOutcome outcome = update
					? dao.update(resource, null, true, false, request, details)
					: dao.create(resource, null, true, request, details);
			IIdType written = outcome.getId();
			IFhirResourceDao provenanceDao = daos.getResourceDao("Provenance");
			provenanceDao.create(AdapterProvenance.of(written, rule, reason, trigger), null, true, request, details);
			// HAPI searches with SQL that Hibernate does not auto-flush for: without this, the next rule in
			// the same bundle would not find what this one just wrote (seen: a second Task for one order
			// when the report's rule ran before the order's).
			entityManager.flush();
			log.info("{}: {} {} (triggered by {})", rule, update ? "updated" : "created",
					written.toUnqualified().getValue(), trigger == null ? "-" : trigger.toUnqualifiedVersionless().getValue());
			return written;
		} finally {
			RULE.set(outerRule);
			int depth = DEPTH.get() - 1;
			if (depth == 0) {
				DEPTH.remove();
				RULE.remove();
			} else {
				DEPTH.set(depth);
			}
		}
	}
}
