package org.bonemarrow.server.security.audit;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.dao.tx.IHapiTransactionService;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.storage.interceptor.balp.IBalpAuditEventSink;
import jakarta.persistence.EntityManager;
import jakarta.persistence.FlushModeType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bonemarrow.server.adapter.AdapterWriter;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.dao.DataAccessException;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Where every AuditEvent goes: stored in this server's own database, off the request thread.
 * <ul>
 *   <li><b>Writes are audited durably.</b> The events raised inside a database transaction that writes (a
 *       create, update or delete, and the adapter's writes within it) are inserted into
 *       {@link AuditOutbox} by that same transaction, just before it commits: a write answered 2xx has its
 *       audit row on disk, and a {@code kill -9} after the answer loses neither. A rolled-back write leaves
 *       no row and is recorded as the failure it was ({@link FailedInteractionAudit}), never as a
 *       success. If the row cannot be inserted, the write is rolled back rather than committed
 *       unaudited.</li>
 *   <li><b>Reads, searches and refusals are audited from memory.</b> Events raised outside a writing
 *       transaction (reads, searches, empty searches, refused and failed requests, the Import event of an
 *       inbound HL7 v2 message, whose FHIR writes are audited durably as above) are queued in memory and
 *       stored within a fraction of a second; a {@code kill -9} loses those still queued (a graceful stop
 *       stores them first). Making them durable would cost a database commit, a file write, per read;
 *       they record access, not a change of the data. A transaction counts as writing when one of its
 *       events is a create, update or delete.</li>
 *   <li>A transaction's events are stored as one AuditEvent per interaction and writer, naming every
 *       resource written ({@link AuditEvents#onePerInteraction}): a transaction Bundle of an exam is one or
 *       two events of the client plus one per adapter rule, not one per resource.</li>
 *   <li>Writes made by the workflow adapter carry the rule as a second agent.</li>
 *   <li>One writer thread turns queued events and outbox rows into AuditEvent resources, in <em>one</em>
 *       database transaction per round (up to {@value #MAX_BATCH} of each), deleting the rows it stored in
 *       that transaction: each row becomes exactly one AuditEvent, even across a crash. One commit per
 *       event was, with {@code WRITE_DELAY=0}, a file write per event and the largest single cost of ingest
 *       (BENCHMARKS.md). The writer waits at most {@link #LINGER} after being woken for others to join, so
 *       an event is stored within a fraction of a second and a batch forms even when events trickle in.</li>
 *   <li>Rows left by a killed process are stored once this server is ready; the writer also looks every
 *       {@link #OUTBOX_POLL} for rows nobody woke it for (another instance's, on a shared PostgreSQL).</li>
 *   <li>If a round fails, its events and rows are retried one by one, so one bad event cannot take others
 *       with it. A row that still fails is kept and marked in the outbox, retried after
 *       {@link #FIRST_RETRY}, doubling up to {@link #LAST_RETRY}: never dropped, never in the way.</li>
 *   <li>HAPI cannot store a reference to a deleted resource, and an event is stored after its write: an
 *       event naming a resource deleted by then (every delete's own) keeps that resource's id as the
 *       entity's {@code what.display} instead of a reference ({@link #withoutDeletedReferences}).</li>
 *   <li>When the in-memory queue is full the request thread writes its event itself, so audit is slowed
 *       down, never dropped.</li>
 * </ul>
 * Stored with a system request, so storing an AuditEvent is not itself audited (no loop). Logs name an
 * event's action and type, never its content (an audit entity can name a patient's resource).
 */
@Interceptor
public class AuditTrail implements IBalpAuditEventSink, DisposableBean, ApplicationListener<ApplicationReadyEvent> {

	private static final Logger log = LoggerFactory.getLogger(AuditTrail.class);
	/** Queued events, and outbox rows, per database transaction at most: bounds its size and lock time. */
	public static final int MAX_BATCH = 50;
	private static final int QUEUE_CAPACITY = 10_000;
	/** How long the writer waits for more events before it commits a batch. */
	static final Duration LINGER = Duration.ofMillis(200);
	/** How often the writer looks for outbox rows no commit of this instance woke it for. */
	static final Duration OUTBOX_POLL = Duration.ofSeconds(5);
	static final Duration FIRST_RETRY = Duration.ofMinutes(1);
	static final Duration LAST_RETRY = Duration.ofHours(1);
	private static final Set<AuditEventAction> WRITES = EnumSet.of(AuditEventAction.C, AuditEventAction.U,
			AuditEventAction.D);
	private static final Pattern HAPI_CODE = Pattern.compile("^HAPI-\\d+");
	/** Put on the queue to wake the writer for outbox rows; never stored, not counted as pending. */
	private static final AuditEvent WAKE = new AuditEvent();

	private final DaoRegistry daos;
	private final IFhirResourceDao<AuditEvent> dao;
	private final IHapiTransactionService transactions;
	private final EntityManager entityManager;
	private final FhirContext fhirContext;
	private final AuditOutbox outbox;
	private final BlockingQueue<AuditEvent> queue = new LinkedBlockingQueue<>(QUEUE_CAPACITY);
	/** Queued events handed over but not yet stored (or given up on): queued plus the batch being written. */
	private final AtomicInteger pending = new AtomicInteger();
	/** Outbox rows may be waiting. True at start: a killed process may have left some. */
	private final AtomicBoolean outboxDue = new AtomicBoolean(true);
	/** The server is up: HAPI's search parameters are loaded, so rows left by a kill can be stored. */
	private volatile boolean ready;
	private volatile boolean stopping;
	private final Thread writer;

	public AuditTrail(DaoRegistry daos, IHapiTransactionService transactions, EntityManager entityManager,
			FhirContext fhirContext, AuditOutbox outbox) {
		this.daos = daos;
		this.dao = daos.getResourceDao(AuditEvent.class);
		this.transactions = transactions;
		this.entityManager = entityManager;
		this.fhirContext = fhirContext;
		this.outbox = outbox;
		this.writer = new Thread(this::writeLoop, "audit-writer");
		this.writer.setDaemon(true);
		this.writer.start();
	}

	@Override
	public void onApplicationEvent(ApplicationReadyEvent event) {
		ready = true;
		wakeForOutbox();
	}

	@Override
	public void recordAuditEvent(AuditEvent event) {
		AuditEvents.nameAgents(event);
		AdapterWriter.currentRule().ifPresent(rule -> AuditEvents.addAdapterAgent(event, rule));
		if (TransactionSynchronizationManager.isSynchronizationActive()) {
			eventsOfThisTransaction().add(event);
		} else {
			enqueue(event);
		}
	}

	/**
	 * Every writing transaction gets its events' synchronization before it starts to commit. HAPI raises
	 * the precommit event of a conditional delete from a beforeCommit synchronization of its own; one of
	 * ours registered only then would never be asked before the commit (Spring runs the synchronizations
	 * it had when the commit began) and its events could only be queued in memory afterwards.
	 */
	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
	public void creating(IBaseResource resource) {
		writing(resource);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
	public void updating(IBaseResource newResource) {
		writing(newResource);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED)
	public void deleting(IBaseResource resource) {
		writing(resource);
	}

	private void writing(IBaseResource resource) {
		if (!(resource instanceof AuditEvent) && TransactionSynchronizationManager.isSynchronizationActive()) {
			eventsOfThisTransaction();
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
	 * A transaction's events: into the outbox within the transaction if it writes, otherwise queued in
	 * memory once it has committed; a rollback drops them (the failure is audited instead).
	 */
	private final class OnCommit implements TransactionSynchronization {
		private final List<AuditEvent> events = new ArrayList<>();
		/** Our beforeCommit ran: an event raised now (by a later synchronization) goes to the outbox at once. */
		private boolean committing;
		/** Past the point where the transaction can take a row: later events are queued in memory. */
		private boolean completing;
		private boolean rowsWritten;
		private boolean done;

		AuditTrail trail() {
			return AuditTrail.this;
		}

		void add(AuditEvent event) {
			if (done) {
				// Raised by another synchronization after this transaction committed: nothing to wait for.
				enqueue(event);
				return;
			}
			events.add(event);
			if (committing && !completing) {
				intoOutbox(); // what this throws rolls the transaction back, as in beforeCommit
			}
		}

		/** What this throws rolls the transaction back: a write is never committed without its audit row. */
		@Override
		public void beforeCommit(boolean readOnly) {
			if (!readOnly) {
				committing = true;
				intoOutbox();
			}
		}

		@Override
		public void beforeCompletion() {
			completing = true;
		}

		private void intoOutbox() {
			if (events.isEmpty() || events.stream().noneMatch(e -> WRITES.contains(e.getAction()))
					|| !outbox.joinsCurrentTransaction()) {
				return;
			}
			List<String> rows = AuditEvents.onePerInteraction(events).stream()
					.map(event -> fhirContext.newJsonParser().encodeResourceToString(event)).toList();
			outbox.insert(rows);
			events.clear();
			rowsWritten = true;
		}

		@Override
		public void afterCommit() {
			done = true;
			if (rowsWritten) {
				wakeForOutbox();
			}
			// Events of a transaction that wrote nothing (a search runs in one), and any raised too late.
			List<AuditEvent> inMemory = AuditEvents.onePerInteraction(events);
			if (inMemory.stream().anyMatch(e -> WRITES.contains(e.getAction()))) {
				// Not expected (see creating()): says the durability promise did not hold for these.
				log.warn("{} AuditEvents of a committed write did not reach the audit outbox; stored from memory",
						inMemory.size());
			}
			events.clear();
			inMemory.forEach(AuditTrail.this::enqueue);
		}

		@Override
		public void afterCompletion(int status) {
			done = true; // after a rollback: its success events are dropped, later ones are not its
			events.clear();
		}
	}

	private void wakeForOutbox() {
		if (!outboxDue.getAndSet(true)) {
			// Full queue: the writer is busy and sees the flag after its round.
			queue.offer(WAKE);
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

	private boolean outboxWaiting() {
		return ready && outboxDue.get();
	}

	private void writeLoop() {
		List<AuditEvent> batch = new ArrayList<>(MAX_BATCH);
		long nextLook = System.nanoTime() + OUTBOX_POLL.toNanos();
		while (!(stopping && queue.isEmpty() && !outboxWaiting())) {
			try {
				AuditEvent first = outboxWaiting() ? queue.poll() : queue.poll(200, TimeUnit.MILLISECONDS);
				if (first != null) {
					if (first != WAKE) {
						batch.add(first);
					}
					gatherMore(batch);
				} else if (!outboxWaiting()) {
					if (ready && System.nanoTime() - nextLook > 0) {
						nextLook = System.nanoTime() + OUTBOX_POLL.toNanos();
						lookForRows();
					}
					continue;
				}
				store(batch, ready && outboxDue.getAndSet(false));
			} catch (InterruptedException e) {
				// Only destroy() interrupts, after setting stopping: store what is queued, leave the outbox rows
				// (they are durable) for the next start, then end.
				stopping = true;
				ready = false;
				store(batch, false);
			} catch (RuntimeException e) {
				log.error("Audit writer: batch of {} not stored: {}", batch.size(), e.getClass().getSimpleName());
			} finally {
				pending.addAndGet(-batch.size());
				batch.clear();
			}
		}
	}

	/** Rows no commit of this instance announced: another instance's, or a failed row now due again. */
	private void lookForRows() {
		try {
			if (outbox.hasDue(Instant.now())) {
				outboxDue.set(true);
			}
		} catch (DataAccessException e) {
			log.warn("Audit writer: cannot look at the audit outbox: {}", e.getClass().getSimpleName());
		}
	}

	/**
	 * Whatever else arrives within {@link #LINGER} of the first event, up to a full batch. Each commit is a
	 * file write (WRITE_DELAY=0): storing events one by one as they trickle in made the commits half of the
	 * writer's time (JFR); a short wait lets a batch form. Audit is off the request path, so no caller waits.
	 */
	private void gatherMore(List<AuditEvent> batch) throws InterruptedException {
		long deadline = System.nanoTime() + LINGER.toNanos();
		drainQueue(batch);
		while (batch.size() < MAX_BATCH && !stopping) {
			long left = deadline - System.nanoTime();
			AuditEvent next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
			if (next == null) {
				return;
			}
			if (next != WAKE) {
				batch.add(next);
			}
			drainQueue(batch);
		}
	}

	private void drainQueue(List<AuditEvent> batch) {
		int from = batch.size();
		queue.drainTo(batch, MAX_BATCH - batch.size());
		batch.subList(from, batch.size()).removeIf(event -> event == WAKE);
	}

	/**
	 * The batch and up to {@value #MAX_BATCH} due outbox rows in one transaction that also deletes the
	 * rows; if that fails, each event and each row in its own, so only a bad one is held back.
	 */
	private void store(List<AuditEvent> batch, boolean takeRows) {
		if (batch.isEmpty() && !takeRows) {
			return;
		}
		List<AuditOutbox.Row> claimed = new ArrayList<>();
		try {
			transactions.withSystemRequest().execute(() -> {
				// Each create resolves the event's references with a query, and Hibernate's default AUTO mode
				// dirty-checks everything the transaction holds before every query: a batch's cost grew with its
				// square (JFR: 60-80% of the writer's time). The events never reference one another and only
				// point at resources committed earlier, so nothing here needs to see the batch's own unflushed
				// rows; they are all written once, at commit. (A batch that fails there is retried one by one.)
				entityManager.setFlushMode(FlushModeType.COMMIT);
				if (takeRows) {
					claimed.addAll(outbox.claim(MAX_BATCH, Instant.now()));
				}
				for (AuditEvent event : batch) {
					create(event);
				}
				for (AuditOutbox.Row row : claimed) {
					create(parse(row));
				}
				outbox.delete(claimed);
			});
			if (claimed.size() == MAX_BATCH) {
				outboxDue.set(true); // a full claim: more rows may be waiting, take them without waiting
			}
		} catch (RuntimeException e) {
			log.warn("Audit batch of {} events and {} outbox rows rolled back ({}); storing them one by one",
					batch.size(), claimed.size(), e.getClass().getSimpleName());
			// A failed create may have set an id on the event; a fresh attempt must not look like an update.
			batch.forEach(event -> event.setId((String) null));
			storeEach(batch);
			// Any rows left are found by the writer's next look (OUTBOX_POLL), not in a tight loop.
			claimed.forEach(row -> storeAlone(row.id()));
		}
	}

	private void storeEach(List<AuditEvent> events) {
		for (AuditEvent event : events) {
			try {
				create(event);
			} catch (RuntimeException e) {
				if (withoutDeletedReferences(event)) {
					try {
						event.setId((String) null);
						create(event);
						continue;
					} catch (RuntimeException again) {
						e = again;
					}
				}
				// Type and action only: an audit entity can name a patient's resource.
				log.error("AuditEvent not stored (action {}, outcome {}): {}", event.getAction(),
						event.getOutcome(), e.getClass().getSimpleName());
				// The message can quote the event's references; kept out of the normal log.
				log.debug("AuditEvent not stored", e);
			}
		}
	}

	private void create(AuditEvent event) {
		dao.create(event, new SystemRequestDetails());
	}

	/** One attempt at storing one outbox row, in its own transaction. */
	private record Attempt(AuditOutbox.Row row, AuditEvent event, RuntimeException failure) {}

	/** One outbox row in its own transaction; if it fails, it is marked and set aside for a while. */
	private void storeAlone(long id) {
		Attempt attempt = attempt(id, this::parse);
		if (attempt.failure() != null && attempt.event() != null && withoutDeletedReferences(attempt.event())) {
			AuditEvent adjusted = attempt.event();
			adjusted.setId((String) null);
			attempt = attempt(id, row -> adjusted);
		}
		if (attempt.failure() == null) {
			return;
		}
		if (attempt.row() == null) {
			// Could not even lock it (database trouble): it stays due and is tried again later.
			log.warn("Audit outbox row {} not claimed: {}", id, attempt.failure().getClass().getSimpleName());
			return;
		}
		setAside(attempt.row(), attempt.failure());
	}

	private Attempt attempt(long id, Function<AuditOutbox.Row, AuditEvent> toEvent) {
		AuditOutbox.Row[] claimed = new AuditOutbox.Row[1];
		AuditEvent[] event = new AuditEvent[1];
		try {
			transactions.withSystemRequest().execute(() -> {
				// Gone when another instance stored it meanwhile (PostgreSQL): nothing to do.
				outbox.claim(id).ifPresent(row -> {
					claimed[0] = row;
					event[0] = toEvent.apply(row);
					create(event[0]);
					outbox.delete(List.of(row));
				});
			});
			return new Attempt(claimed[0], event[0], null);
		} catch (RuntimeException e) {
			return new Attempt(claimed[0], event[0], e);
		}
	}

	/**
	 * HAPI refuses to store a reference to a deleted resource (HAPI-1096), and events are stored after the
	 * write: the event of a delete, and any event whose resource was deleted before the writer got to it,
	 * would never be stored. Such an entity keeps the resource's id as {@code what.display} (and its type as
	 * {@code what.type}) instead of a reference. True if the event was changed, so it is worth another try.
	 */
	private boolean withoutDeletedReferences(AuditEvent event) {
		boolean changed = false;
		for (AuditEvent.AuditEventEntityComponent entity : event.getEntity()) {
			Reference what = entity.getWhat();
			IdType id = what.hasReference() ? new IdType(what.getReference()) : null;
			if (id != null && id.hasResourceType() && id.hasIdPart() && !id.isAbsolute() && isGone(id)) {
				what.setDisplay(what.getReference()).setType(id.getResourceType()).setReference(null);
				changed = true;
			}
		}
		return changed;
	}

	private boolean isGone(IdType id) {
		try {
			daos.getResourceDao(id.getResourceType()).read(id.toVersionless(), new SystemRequestDetails());
			return false;
		} catch (ResourceGoneException | ResourceNotFoundException e) {
			return true;
		} catch (RuntimeException e) {
			return false; // not a resource this server knows: not what stopped the event
		}
	}

	private void setAside(AuditOutbox.Row row, RuntimeException error) {
		int attempt = row.attempts() + 1;
		Duration wait = FIRST_RETRY.multipliedBy(1L << Math.min(attempt - 1, 10));
		wait = wait.compareTo(LAST_RETRY) > 0 ? LAST_RETRY : wait;
		String what = describe(row);
		log.error("Audit outbox row {} not stored, attempt {} ({}): {}; kept, tried again in {} min", row.id(),
				attempt, what, error.getClass().getSimpleName(), wait.toMinutes());
		// The message can quote the event; kept out of the normal log and out of the table.
		log.debug("Audit outbox row not stored", error);
		try {
			outbox.markFailed(row, errorCode(error), Instant.now().plus(wait));
		} catch (DataAccessException e) {
			// Unmarked, the row is simply due again at once.
			log.warn("Audit outbox row {} not marked: {}", row.id(), e.getClass().getSimpleName());
		}
	}

	private AuditEvent parse(AuditOutbox.Row row) {
		return fhirContext.newJsonParser().parseResource(AuditEvent.class, row.event());
	}

	/** Action and type of a row's event, for the log; nothing that could name a patient. */
	private String describe(AuditOutbox.Row row) {
		try {
			AuditEvent event = parse(row);
			return "action " + event.getAction() + ", type " + event.getType().getCode();
		} catch (RuntimeException e) {
			return "unreadable event";
		}
	}

	/** The exception's class and HAPI's message code (HAPI-1234): enough to look up, nothing quoted. */
	static String errorCode(Throwable error) {
		String message = error.getMessage();
		Matcher code = HAPI_CODE.matcher(message == null ? "" : message);
		return error.getClass().getSimpleName() + (code.find() ? " " + code.group() : "");
	}

	/**
	 * True when everything handed over so far is stored (or set aside after a failure): the in-memory
	 * queue, and the outbox rows this instance's transactions wrote. For tests and graceful stop.
	 */
	public boolean idle() {
		if (pending.get() > 0 || outboxWaiting()) {
			return false;
		}
		try {
			return outbox.unstoredOfThisInstance() == 0;
		} catch (DataAccessException e) {
			return false;
		}
	}

	@Override
	public void destroy() throws InterruptedException {
		stopping = true;
		writer.join(TimeUnit.SECONDS.toMillis(20));
		if (writer.isAlive()) {
			writer.interrupt();
			log.warn("{} queued AuditEvents were not stored before shutdown (outbox rows are kept for the next start)",
					queue.size());
			return;
		}
		// An event handed over while the writer was finishing: this thread writes it.
		List<AuditEvent> late = new ArrayList<>();
		queue.drainTo(late);
		late.removeIf(event -> event == WAKE);
		storeEach(late);
		pending.addAndGet(-late.size());
	}
}
