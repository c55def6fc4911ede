package org.bonemarrow.server.security.audit;

import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.storage.interceptor.balp.IBalpAuditEventSink;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.bonemarrow.server.adapter.AdapterWriter;
import org.hl7.fhir.r4.model.AuditEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Where every AuditEvent goes: stored in this server's own database, off the request thread.
 * <ul>
 *   <li>An event raised inside a database transaction (a create, update, delete, and the adapter's writes
 *       within it) is queued only after that transaction commits: a rolled-back write is recorded as the
 *       failure it was ({@link FailedInteractionAudit}), never as a success.</li>
 *   <li>Writes made by the workflow adapter carry the rule as a second agent.</li>
 *   <li>One writer thread; when its queue is full the request thread writes itself, so audit is slowed
 *       down, never dropped.</li>
 * </ul>
 * Stored with a system request, so storing an AuditEvent is not itself audited (no loop). Events still
 * queued when the process is killed are lost; a graceful stop writes them first.
 */
public class AuditTrail implements IBalpAuditEventSink, DisposableBean {

	private static final Logger log = LoggerFactory.getLogger(AuditTrail.class);

	private final IFhirResourceDao<AuditEvent> dao;
	private final ThreadPoolExecutor writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
			new ArrayBlockingQueue<>(10_000), r -> {
				Thread t = new Thread(r, "audit-writer");
				t.setDaemon(true);
				return t;
			}, new ThreadPoolExecutor.CallerRunsPolicy());

	public AuditTrail(DaoRegistry daos) {
		this.dao = daos.getResourceDao(AuditEvent.class);
	}

	@Override
	public void recordAuditEvent(AuditEvent event) {
		AuditEvents.nameAgents(event);
		AdapterWriter.currentRule().ifPresent(rule -> AuditEvents.addAdapterAgent(event, rule));
		if (TransactionSynchronizationManager.isSynchronizationActive()) {
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
				@Override
				public void afterCommit() {
					enqueue(event);
				}
			});
		} else {
			enqueue(event);
		}
	}

	private void enqueue(AuditEvent event) {
		if (writer.isShutdown()) {
			store(event);
		} else {
			writer.execute(() -> store(event));
		}
	}

	private void store(AuditEvent event) {
		try {
			dao.create(event, new SystemRequestDetails());
		} catch (RuntimeException e) {
			// Type and action only: an audit entity can name a patient's resource.
			log.error("AuditEvent not stored (action {}, outcome {}): {}", event.getAction(),
					event.getOutcome(), e.getClass().getSimpleName());
			// The message can quote the event's references; kept out of the normal log.
			log.debug("AuditEvent not stored", e);
		}
	}

	/** True when every event handed over so far is stored (tests and graceful stop). */
	public boolean idle() {
		return writer.getQueue().isEmpty() && writer.getActiveCount() == 0;
	}

	@Override
	public void destroy() throws InterruptedException {
		writer.shutdown();
		if (!writer.awaitTermination(20, TimeUnit.SECONDS)) {
			log.warn("{} AuditEvents were not stored before shutdown", writer.getQueue().size());
		}
	}
}
