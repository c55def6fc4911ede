package org.bonemarrow.server.security.audit;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.dao.tx.IHapiTransactionService;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.storage.interceptor.balp.IBalpAuditEventSink;
import jakarta.persistence.EntityManager;
import jakarta.persistence.FlushModeType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 *   <li>A transaction's events are stored as one AuditEvent per interaction and writer, naming every
 *       resource written ({@link AuditEvents#onePerInteraction}): a transaction Bundle of an exam is one or
 *       two events of the client plus one per adapter rule, not one per resource.</li>
 *   <li>Writes made by the workflow adapter carry the rule as a second agent.</li>
 *   <li>One writer thread stores whatever has queued up since its last write in <em>one</em> database
 *       transaction (up to {@value #MAX_BATCH} events). An exam raises a few dozen events; one commit per
 *       event was, with {@code WRITE_DELAY=0}, a file write per event and the largest single cost of
 *       ingest (BENCHMARKS.md). The writer waits at most {@link #LINGER} after the first event for others to
 *       join it, so an event is stored within a fraction of a second and a batch forms even when events
 *       trickle in.</li>
 *   <li>If a batch fails, its events are retried one by one, so one bad event cannot take others with it.</li>
 *   <li>When the queue is full the request thread writes its event itself, so audit is slowed down,
 *       never dropped.</li>
 * </ul>
 * Stored with a system request, so storing an AuditEvent is not itself audited (no loop). Events still
 * queued when the process is killed are lost; a graceful stop writes them first.
 */
public class AuditTrail implements IBalpAuditEventSink, DisposableBean {

	private static final Logger log = LoggerFactory.getLogger(AuditTrail.class);
	/** Events per database transaction at most: bounds the transaction's size and lock time. */
	public static final int MAX_BATCH = 50;
	private static final int QUEUE_CAPACITY = 10_000;
	/** How long the writer waits for more events before it commits a batch. */
	static final Duration LINGER = Duration.ofMillis(200);

	private final IFhirResourceDao<AuditEvent> dao;
	private final IHapiTransactionService transactions;
	private final EntityManager entityManager;
	private final BlockingQueue<AuditEvent> queue = new LinkedBlockingQueue<>(QUEUE_CAPACITY);
	/** Handed over but not yet stored (or given up on): queued plus the batch being written. */
	private final AtomicInteger pending = new AtomicInteger();
	private volatile boolean stopping;
	private final Thread writer;

	public AuditTrail(DaoRegistry daos, IHapiTransactionService transactions, EntityManager entityManager) {
		this.dao = daos.getResourceDao(AuditEvent.class);
		this.transactions = transactions;
		this.entityManager = entityManager;
		this.writer = new Thread(this::writeLoop, "audit-writer");
		this.writer.setDaemon(true);
		this.writer.start();
	}

	@Override
	public void recordAuditEvent(AuditEvent event) {
		AuditEvents.nameAgents(event);
		AdapterWriter.currentRule().ifPresent(rule -> AuditEvents.addAdapterAgent(event, rule));
		if (TransactionSynchronizationManager.isSynchronizationActive()) {
			eventsOfThisTransaction().events.add(event);
		} else {
			enqueue(event);
		}
	}

	/**
	 * The events raised so far in the current database transaction. Looked up among the transaction's own
	 * synchronizations, so a transaction suspended for an inner one keeps its events apart from the inner's.
	 */
	private OnCommit eventsOfThisTransaction() {
		for (TransactionSynchronization synchronization : TransactionSynchronizationManager.getSynchronizations()) {
			if (synchronization instanceof OnCommit onCommit && onCommit.trail() == this) {
				return onCommit;
			}
		}
		OnCommit onCommit = new OnCommit();
		TransactionSynchronizationManager.registerSynchronization(onCommit);
		return onCommit;
	}

	/**
	 * Queues a transaction's events once it has committed, one per interaction and writer
	 * ({@link AuditEvents#onePerInteraction}); a rollback drops them (the failure is audited instead).
	 */
	private final class OnCommit implements TransactionSynchronization {
		private final List<AuditEvent> events = new ArrayList<>();

		AuditTrail trail() {
			return AuditTrail.this;
		}

		@Override
		public void afterCommit() {
			AuditEvents.onePerInteraction(events).forEach(AuditTrail.this::enqueue);
		}
	}

	private void enqueue(AuditEvent event) {
		pending.incrementAndGet();
		if (stopping || !queue.offer(event)) {
			// Stopped, or the writer is QUEUE_CAPACITY events behind: this thread writes, never drops.
			try {
				storeEach(List.of(event));
			} finally {
				pending.decrementAndGet();
			}
		}
	}

	private void writeLoop() {
		List<AuditEvent> batch = new ArrayList<>(MAX_BATCH);
		while (!(stopping && queue.isEmpty())) {
			try {
				AuditEvent first = queue.poll(200, TimeUnit.MILLISECONDS);
				if (first == null) {
					continue;
				}
				batch.add(first);
				gatherMore(batch);
				store(batch);
			} catch (InterruptedException e) {
				// Only destroy() interrupts, after setting stopping: drain what is left, then end.
				stopping = true;
			} catch (RuntimeException e) {
				log.error("Audit writer: batch of {} not stored: {}", batch.size(), e.getClass().getSimpleName());
			} finally {
				pending.addAndGet(-batch.size());
				batch.clear();
			}
		}
	}

	/**
	 * Whatever else arrives within {@link #LINGER} of the first event, up to a full batch. Each commit is a
	 * file write (WRITE_DELAY=0): storing events one by one as they trickle in made the commits half of the
	 * writer's time (JFR); a short wait lets a batch form. Audit is off the request path, so no caller waits.
	 */
	private void gatherMore(List<AuditEvent> batch) throws InterruptedException {
		long deadline = System.nanoTime() + LINGER.toNanos();
		queue.drainTo(batch, MAX_BATCH - batch.size());
		while (batch.size() < MAX_BATCH && !stopping) {
			long left = deadline - System.nanoTime();
			AuditEvent next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
			if (next == null) {
				return;
			}
			batch.add(next);
			queue.drainTo(batch, MAX_BATCH - batch.size());
		}
	}

	/** The batch in one transaction; if that fails, each event in its own, so only a bad one is lost. */
	private void store(List<AuditEvent> batch) {
		if (batch.size() == 1) {
			storeEach(batch);
			return;
		}
		try {
			transactions.withSystemRequest().execute(() -> {
				// Each create resolves the event's references with a query, and Hibernate's default AUTO mode
				// dirty-checks everything the transaction holds before every query: a batch's cost grew with its
				// square (JFR: 60-80% of the writer's time). The events never reference one another and only
				// point at resources committed earlier, so nothing here needs to see the batch's own unflushed
				// rows; they are all written once, at commit. (A batch that fails there is retried one by one.)
				entityManager.setFlushMode(FlushModeType.COMMIT);
				for (AuditEvent event : batch) {
					dao.create(event, new SystemRequestDetails());
				}
			});
		} catch (RuntimeException e) {
			log.warn("Audit batch of {} events rolled back ({}); storing them one by one", batch.size(),
					e.getClass().getSimpleName());
			// A failed create may have set an id on the event; a fresh attempt must not look like an update.
			batch.forEach(event -> event.setId((String) null));
			storeEach(batch);
		}
	}

	private void storeEach(List<AuditEvent> events) {
		for (AuditEvent event : events) {
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
	}

	/** True when every event handed over so far is stored (tests and graceful stop). */
	public boolean idle() {
		return pending.get() == 0;
	}

	@Override
	public void destroy() throws InterruptedException {
		stopping = true;
		writer.join(TimeUnit.SECONDS.toMillis(20));
		if (writer.isAlive()) {
			writer.interrupt();
			log.warn("{} AuditEvents were not stored before shutdown", queue.size());
			return;
		}
		// An event handed over while the writer was finishing: this thread writes it.
		List<AuditEvent> late = new ArrayList<>();
		queue.drainTo(late);
		storeEach(late);
		pending.addAndGet(-late.size());
	}
}
