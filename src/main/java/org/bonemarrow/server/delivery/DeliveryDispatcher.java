package org.bonemarrow.server.delivery;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.bonemarrow.server.delivery.DeliveryChannel.Outcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Works the outbox on this instance: one thread claims due deliveries ({@link DeliveryOutbox#claim}) as
 * workers become free, and a fixed pool of {@code workers} threads attempts them, one attempt each, then
 * records the outcome (delivered, retry at the next {@link Backoff} step, dead letter, cancelled).
 *
 * <p>It wakes when a write that queued deliveries commits, when an attempt ends (the next version of that
 * report may now be first in line) and every {@code poll-interval}, which is also how it sees rows queued
 * by other instances and retries that have come due.
 *
 * <p>Logs name the channel, the receiver, the delivery id and the resource id, never content.
 */
public class DeliveryDispatcher implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(DeliveryDispatcher.class);

	private final DeliveryOutbox outbox;
	private final Map<String, DeliveryChannel> channels;
	private final DeliveryProperties properties;
	private final Backoff backoff;
	private final DeliveryAudit audit;
	private final Clock clock;
	/** This process's lease owner name: unique per start, so a restarted instance does not inherit leases. */
	private final String owner = "bme-" + UUID.randomUUID();
	private final Semaphore freeWorkers;
	private final Semaphore wakeUps = new Semaphore(0);
	private final AtomicInteger inFlight = new AtomicInteger();
	private volatile boolean running;
	/** Set once the server is up: HAPI's search parameters are loaded, which a database match needs. */
	private volatile boolean ready;
	private ExecutorService workers;
	private Thread claimer;

	public DeliveryDispatcher(DeliveryOutbox outbox, List<DeliveryChannel> channels, DeliveryProperties properties,
			DeliveryAudit audit, Clock clock) {
		this.outbox = outbox;
		this.channels = channels.stream().collect(Collectors.toMap(DeliveryChannel::name, Function.identity()));
		this.properties = properties;
		this.backoff = properties.backoff();
		this.audit = audit;
		this.clock = clock;
		this.freeWorkers = new Semaphore(properties.workers());
		for (DeliveryChannel channel : channels) {
			if (channel.longestAttempt().compareTo(properties.lease()) >= 0) {
				throw new IllegalArgumentException("bonemarrow.delivery.lease (" + properties.lease() + ") must be longer than"
						+ " the longest " + channel.name() + " attempt (" + channel.longestAttempt() + ", its timeouts)");
			}
		}
		outbox.onQueued(this::wakeUp);
	}

	/**
	 * Starts claiming: called once the application is ready. Until then nothing is attempted, so that a
	 * delivery left due by a kill is not matched against a database whose search parameters HAPI has not
	 * loaded yet (and wrongly ended as not matching).
	 */
	public void markReady() {
		ready = true;
		wakeUp();
	}

	/** Look for due deliveries now rather than at the next poll. */
	public void wakeUp() {
		if (wakeUps.availablePermits() == 0) {
			wakeUps.release();
		}
	}

	@Override
	public void start() {
		AtomicInteger n = new AtomicInteger();
		workers = Executors.newFixedThreadPool(properties.workers(), task -> {
			Thread t = new Thread(task, "delivery-" + n.incrementAndGet());
			t.setDaemon(true);
			return t;
		});
		running = true;
		claimer = new Thread(this::claimLoop, "delivery-claimer");
		claimer.setDaemon(true);
		claimer.start();
		log.info("Delivery outbox started ({} workers, first retry {}, at most {} apart, dead letter after {})",
				properties.workers(), properties.firstRetry(), properties.maxInterval(), properties.giveUpAfter());
	}

	private void claimLoop() {
		while (running) {
			try {
				int free = ready ? freeWorkers.availablePermits() : 0;
				int claimed = 0;
				if (free > 0) {
					List<Delivery> due = outbox.claim(owner, free, properties.lease().toMillis());
					claimed = due.size();
					for (Delivery d : due) {
						freeWorkers.acquire();
						inFlight.incrementAndGet();
						workers.execute(() -> attemptAndRecord(d));
					}
				}
				if (claimed == 0 || claimed < free) {
					// Nothing more is due (or every worker is busy): wait for a commit, a finished attempt or the poll.
					wakeUps.tryAcquire(properties.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
					wakeUps.drainPermits();
				}
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
				return;
			} catch (RuntimeException e) {
				// The database may be unreachable for a while: nothing is lost, the rows wait.
				log.warn("Delivery outbox: could not claim due deliveries ({}); trying again", e.getClass().getSimpleName());
				sleepQuietly(properties.pollInterval().toMillis());
			}
		}
	}

	private void attemptAndRecord(Delivery d) {
		try {
			if (!running) {
				outbox.release(d, owner);
				return;
			}
			Outcome outcome = attempt(d);
			record(d, outcome);
		} catch (RuntimeException e) {
			// Recording failed (database): the lease runs out and the delivery is attempted again.
			log.warn("Delivery {} to {} {}: outcome not recorded ({}); it will be attempted again", d.messageId(),
					d.channel(), d.receiver(), e.getClass().getSimpleName());
		} finally {
			inFlight.decrementAndGet();
			freeWorkers.release();
			wakeUp();
		}
	}

	private Outcome attempt(Delivery d) {
		DeliveryChannel channel = channels.get(d.channel());
		if (channel == null) {
			return Outcome.failed("no " + d.channel() + " channel on this instance");
		}
		try {
			return channel.attempt(d);
		} catch (RuntimeException e) {
			return Outcome.failed(e.getClass().getSimpleName());
		}
	}

	private void record(Delivery d, Outcome outcome) {
		String resource = versionless(d.resource());
		switch (outcome.result()) {
			case DELIVERED -> {
				if (outbox.delivered(d, owner)) {
					log.info("Delivery {} of {} to {} {} delivered (attempt {})", d.messageId(), resource, d.channel(),
							d.receiver(), d.attempts() + 1);
					audit.delivered(d);
				}
			}
			case FAILED -> {
				Optional<Instant> next = backoff.nextAttempt(d.due(), d.attempts() + 1, clock.instant());
				if (outbox.failed(d, owner, outcome.detail(), next)) {
					if (next.isPresent()) {
						log.warn("Delivery {} of {} to {} {}: attempt {} failed ({}); next attempt at {}", d.messageId(),
								resource, d.channel(), d.receiver(), d.attempts() + 1, outcome.detail(), next.get());
					} else {
						log.error("Delivery {} of {} to {} {}: attempt {} failed ({}); retry window of {} closed, kept as a"
								+ " dead letter (replay with $replay)", d.messageId(), resource, d.channel(), d.receiver(),
								d.attempts() + 1, outcome.detail(), properties.giveUpAfter());
						audit.deadLetter(d, outcome.detail());
					}
				}
			}
			case CANCELLED -> {
				if (outbox.ended(d, owner, DeliveryOutbox.CANCELLED, outcome.detail())) {
					log.info("Delivery {} of {} to {} {} cancelled: {}", d.messageId(), resource, d.channel(), d.receiver(),
							outcome.detail());
				}
			}
			case NOT_MATCHED -> outbox.ended(d, owner, DeliveryOutbox.NOT_MATCHED, outcome.detail());
		}
	}

	private static String versionless(String version) {
		int history = version.indexOf("/_history/");
		return history < 0 ? version : version.substring(0, history);
	}

	private static void sleepQuietly(long millis) {
		try {
			Thread.sleep(millis);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
	}

	/** True when this instance has no attempt running (tests and graceful stop). */
	public boolean idle() {
		return inFlight.get() == 0;
	}

	@Override
	public void stop() {
		running = false;
		if (claimer != null) {
			claimer.interrupt();
		}
		if (workers != null) {
			workers.shutdown();
			try {
				// Attempts under way finish and are recorded; claimed ones not yet started are given back.
				if (!workers.awaitTermination(15, TimeUnit.SECONDS)) {
					log.warn("Delivery outbox: attempts still running at shutdown; their leases run out and another"
							+ " instance (or the next start) attempts them again");
					workers.shutdownNow();
				}
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
			}
		}
	}

	@Override
	public boolean isRunning() {
		return running;
	}

	/** Starts before the web server takes requests and stops after it has finished them (web server: MAX_VALUE - 2048). */
	@Override
	public int getPhase() {
		return Integer.MAX_VALUE - 4096;
	}
}
