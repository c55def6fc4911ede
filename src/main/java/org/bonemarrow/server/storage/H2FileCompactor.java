package org.bonemarrow.server.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.RandomAccessStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Keeps the embedded H2 file near the size of its live data while the server runs.
 * <p>
 * H2's MVStore never overwrites a page: every commit appends a chunk holding the changed pages of every table
 * and index it touched, and the pages those replace stay where they were. A chunk's space is reused only
 * when none of its pages is live any more, and with many small commits almost every chunk keeps a few live
 * pages forever (one leaf of an index, say), so without compaction the file grows by nearly everything ever
 * written: ~3 MB per exam here, 29 GB after 10,000 exams against ~700 MB compacted (BENCHMARKS.md).
 * <p>
 * H2 compacts on its own in its background writer thread, which rewrites the live pages of old, sparse
 * chunks. That thread exists only while H2's auto-commit delay is above zero, and {@code WRITE_DELAY=0} in
 * our JDBC URL sets that delay to 0 (H2 2.3.232: {@code Database.setWriteDelay} ->
 * {@code MVStore.setAutoCommitDelay} -> {@code FileStore.setAutoCommitDelay} stops the thread and starts
 * none). {@code WRITE_DELAY=0} is what puts a commit on disk before its response, so it stays, and this class
 * does that thread's compaction work instead, with the same public MVStore calls, off the request threads:
 * <ul>
 * <li>every {@code interval}, one pass of at most {@code passTime}, in steps: rewrite the live pages of up to
 * {@value #REWRITE_STEP_BYTES} bytes' worth of the sparsest old chunks ({@link MVStore#compact}), then commit
 * them. A step holds H2's store lock while it does so (a step took 60-90 ms of wall time on the shared 2-core
 * benchmark machine at load 5-10, waits included), and the lock is fair, so a request's commit waits for at
 * most one step. When a request's commit holds the lock, {@code compact} gives up after 10 ms and the pass
 * tries again 2 ms later, as long as old chunks are sparse;</li>
 * <li>H2 frees the emptied chunks once they are older than its retention time (45 s by default, which this
 * leaves alone: it is what keeps the last commits readable after a power loss) and reuses their space;</li>
 * <li>when more than {@value #MOVE_BELOW_FILL_RATE}% of the file is free space, the pass also moves chunks from
 * the end of the file into the gaps ({@link RandomAccessStore#compactMoveChunks}, as H2's own housekeeping
 * does), so the file shrinks again after a burst, without a restart.</li>
 * </ul>
 * What stays is roughly the last 45-90 s of writes: chunks younger than the retention time are neither rewritten
 * nor reused, and an emptied chunk is freed only in the order chunks emptied, once it is that old. At the
 * benchmark's ~4 MB/s of writes that is 300-400 MB whatever the size of the database (BENCHMARKS.md).
 * <p>
 * A pass finds nothing to do when the chunks are {@value #TARGET_FILL_RATE}% full or more. Once nobody else
 * writes, passes go on only while they still get the file smaller or its chunks fuller: an idle server does
 * not keep rewriting its own chunks.
 */
public class H2FileCompactor implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(H2FileCompactor.class);

	/** Live bytes rewritten per step: small, because the step holds the store lock (H2's own thread takes ~5 MB per go). */
	static final int REWRITE_STEP_BYTES = 256 * 1024;
	/** Chunks this full are left alone: H2's default auto-compact fill rate is 90; 80 still reaches an idle end. */
	static final int TARGET_FILL_RATE = 80;
	/** Chunks are moved only when this little of the file is in use: under load the freed space is reused anyway. */
	static final int MOVE_BELOW_FILL_RATE = 70;
	/** Bytes of chunks moved per step. */
	static final long MOVE_STEP_BYTES = 2L * 1024 * 1024;
	/** How often the INFO line sums up what the passes did. */
	private static final long SUMMARY_NANOS = TimeUnit.MINUTES.toNanos(10);

	private final Supplier<MVStore> storeSupplier;
	private final Duration interval;
	private final long passNanos;

	private MVStore store;
	private ScheduledExecutorService timer;
	private long versionAfterLastPass = -1;
	/** When others last wrote, or a pass last got the file smaller or its chunks fuller than ever since. */
	private long lastProgress;
	private long smallestFile;
	private int fullestChunks;
	private final Summary summary = new Summary();

	/**
	 * @param store    the database's MVStore, asked for at the first pass (the database is open by then)
	 * @param interval pause between passes
	 * @param passTime the most one pass may take
	 */
	public H2FileCompactor(Supplier<MVStore> store, Duration interval, Duration passTime) {
		this.storeSupplier = store;
		this.interval = interval;
		this.passNanos = passTime.toNanos();
	}

	/**
	 * The MVStore under an embedded H2 pool's connections. H2 offers no SQL for online compaction (only
	 * {@code SHUTDOWN COMPACT}), so the store is reached through H2's own classes: the JDBC connection's
	 * session, its database, and that database's store.
	 */
	public static MVStore mvStoreOf(DataSource dataSource) {
		try (Connection connection = dataSource.getConnection()) {
			if (connection.unwrap(JdbcConnection.class).getSession() instanceof SessionLocal session
					&& session.getDatabase().getStore() != null) {
				return session.getDatabase().getStore().getMvStore();
			}
			throw new IllegalStateException("not an embedded H2 database");
		} catch (SQLException e) {
			throw new IllegalStateException("cannot reach the H2 store: " + e.getMessage(), e);
		}
	}

	/** What one pass did, for the log and the tests. */
	record Pass(int rewrites, int moves, long fileBytesBefore, long fileBytesAfter, long nanos) {
		static final Pass SKIPPED = new Pass(0, 0, 0, 0, 0);
	}

	/** One pass; called by the timer, and by tests directly. */
	Pass runPass() {
		MVStore mv = store();
		if (mv == null || mv.isClosed()) {
			return Pass.SKIPPED;
		}
		long now = System.nanoTime();
		if (mv.getCurrentVersion() != versionAfterLastPass) {
			lastProgress = now;
			smallestFile = Long.MAX_VALUE;
			fullestChunks = -1;
		} else if (now - lastProgress > idleAllowanceNanos(mv)) {
			return Pass.SKIPPED;
		}
		long start = System.nanoTime();
		long deadline = start + passNanos;
		long sizeBefore = mv.getFileStore().size();
		int rewrites = 0;
		int busy = 0;
		while (System.nanoTime() < deadline) {
			if (mv.compact(TARGET_FILL_RATE, REWRITE_STEP_BYTES)) {
				mv.commit();
				rewrites++;
			} else if (oldChunksBelowTarget(mv)) {
				// compact() gave up on H2's store lock after 10 ms: a request's commit holds it. There is work, so
				// try again shortly rather than wait for the next pass (bounded by the pass's deadline).
				busy++;
				if (!pause(2)) {
					break;
				}
			} else {
				break;
			}
		}
		int moves = 0;
		if (mv.getFileStore() instanceof RandomAccessStore file) {
			while (System.nanoTime() < deadline && mv.getFillRate() < MOVE_BELOW_FILL_RATE) {
				long sizeBeforeMove = file.size();
				int fillBeforeMove = mv.getFillRate();
				file.compactMoveChunks(101, MOVE_STEP_BYTES, mv);
				moves++;
				if (file.size() >= sizeBeforeMove && mv.getFillRate() <= fillBeforeMove) {
					break;
				}
			}
		}
		long sizeAfter = mv.getFileStore().size();
		int fillAfter = mv.getFileStore().getChunksFillRate();
		if (sizeAfter < smallestFile || fillAfter > fullestChunks) {
			lastProgress = System.nanoTime();
			smallestFile = Math.min(smallestFile, sizeAfter);
			fullestChunks = Math.max(fullestChunks, fillAfter);
		}
		versionAfterLastPass = mv.getCurrentVersion();
		Pass pass = new Pass(rewrites, moves, sizeBefore, sizeAfter, System.nanoTime() - start);
		if (log.isDebugEnabled() && rewrites + moves + busy > 0) {
			log.debug("pass: {} rewrites, {} waits for the store lock, {} moves in {} ms; file {} -> {} KB, {}% in use, chunks {}% live",
					rewrites, busy, moves, TimeUnit.NANOSECONDS.toMillis(pass.nanos()), sizeBefore / 1024, sizeAfter / 1024,
					mv.getFillRate(), fillAfter);
		}
		summary.add(pass, mv);
		return pass;
	}

	/**
	 * Whether the chunks old enough to be rewritten hold less live data than the target. H2 computes it for its
	 * INFORMATION_SCHEMA.SETTINGS ({@code info.CHUNKS_FILL_RATE_RW}); the method behind it is not public.
	 */
	private static boolean oldChunksBelowTarget(MVStore mv) {
		int[] rate = {100};
		mv.getFileStore().populateInfo((name, value) -> {
			if ("info.CHUNKS_FILL_RATE_RW".equals(name)) {
				rate[0] = Integer.parseInt(value);
			}
		});
		return rate[0] < TARGET_FILL_RATE;
	}

	/** False when interrupted: the pass then ends. */
	private static boolean pause(long millis) {
		try {
			Thread.sleep(millis);
			return true;
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	/**
	 * How long passes go on after the last write of others and the last gain. Chunks emptied by a pass are
	 * freed only once older than H2's retention time, so the gain shows up to two retention times later;
	 * past that, a pass that still rewrites without the file getting smaller or its chunks fuller is only
	 * rewriting its own last chunks.
	 */
	private static long idleAllowanceNanos(MVStore mv) {
		return TimeUnit.MILLISECONDS.toNanos(2L * Math.max(0, mv.getRetentionTime()) + 10_000);
	}

	private MVStore store() {
		if (store == null) {
			store = storeSupplier.get();
		}
		return store;
	}

	private void scheduledPass() {
		try {
			runPass();
		} catch (RuntimeException e) {
			// A closed or failing store says so on every pass: one line per summary period, not per pass.
			summary.failed(e);
		}
	}

	@Override
	public void start() {
		log.info("H2 file compaction on: a pass every {} ms, each at most {} ms (bonemarrow.h2.compaction)",
				interval.toMillis(), TimeUnit.NANOSECONDS.toMillis(passNanos));
		timer = Executors.newSingleThreadScheduledExecutor(r -> {
			Thread t = new Thread(r, "h2-compaction");
			t.setDaemon(true);
			return t;
		});
		timer.scheduleWithFixedDelay(this::scheduledPass, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
	}

	/**
	 * Lets a running pass finish rather than interrupting it inside H2 (an interrupt there would fail the step
	 * and could close the store); the database is closed, and compacted fully, only after this.
	 */
	@Override
	public void stop() {
		if (timer != null) {
			timer.shutdown();
			try {
				if (!timer.awaitTermination(TimeUnit.NANOSECONDS.toMillis(passNanos) + 5_000, TimeUnit.MILLISECONDS)) {
					log.warn("H2 file compaction: a pass did not end in time; stopping it");
					timer.shutdownNow();
				}
			} catch (InterruptedException e) {
				Thread.currentThread().interrupt();
			}
			timer = null;
		}
	}

	@Override
	public boolean isRunning() {
		return timer != null;
	}

	/** Sums passes up for one INFO line every ten minutes in which anything was done. */
	private static final class Summary {
		private long since = System.nanoTime();
		private long firstSize = -1;
		private int passes;
		private long rewrites;
		private long moves;
		private long nanos;
		private long longestNanos;
		private RuntimeException failure;

		void add(Pass pass, MVStore mv) {
			if (firstSize < 0) {
				firstSize = pass.fileBytesBefore();
			}
			if (pass.rewrites() + pass.moves() > 0) {
				passes++;
				rewrites += pass.rewrites();
				moves += pass.moves();
				nanos += pass.nanos();
				longestNanos = Math.max(longestNanos, pass.nanos());
			}
			if (System.nanoTime() - since >= SUMMARY_NANOS) {
				if (passes > 0) {
					log.info("H2 file {} MB -> {} MB over the last {} min: {} compaction passes, {} rewrite and {} move "
							+ "steps, {} ms in all, longest pass {} ms; chunks {}% live, file {}% in use",
							mb(firstSize), mb(pass.fileBytesAfter()), TimeUnit.NANOSECONDS.toMinutes(System.nanoTime() - since),
							passes, rewrites, moves, TimeUnit.NANOSECONDS.toMillis(nanos),
							TimeUnit.NANOSECONDS.toMillis(longestNanos), mv.getFileStore().getChunksFillRate(),
							mv.getFillRate());
				}
				reset(pass.fileBytesAfter());
			}
		}

		void failed(RuntimeException e) {
			if (failure == null) {
				failure = e;
				log.warn("H2 file compaction failed: {}; trying again every pass", e.toString());
			}
		}

		private void reset(long size) {
			since = System.nanoTime();
			firstSize = size;
			passes = 0;
			rewrites = 0;
			moves = 0;
			nanos = 0;
			longestNanos = 0;
			failure = null;
		}

		private static long mb(long bytes) {
			return bytes / (1024 * 1024);
		}
	}
}
