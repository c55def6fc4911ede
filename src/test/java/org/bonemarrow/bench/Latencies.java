package org.bonemarrow.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Latencies, errors and empty answers of one operation; thread-safe, one instance per operation. */
final class Latencies {

	final String operation;
	private final List<Long> nanos = new ArrayList<>();
	private int errors;
	private int empty;

	Latencies(String operation) {
		this.operation = operation;
	}

	synchronized void ok(long elapsedNanos, boolean emptyAnswer) {
		nanos.add(elapsedNanos);
		if (emptyAnswer) {
			empty++;
		}
	}

	/** A non-2xx answer or a failed request: counted, not timed (a fast 500 would flatter the figures). */
	synchronized void error() {
		errors++;
	}

	synchronized int count() {
		return nanos.size();
	}

	synchronized int errors() {
		return errors;
	}

	synchronized int empty() {
		return empty;
	}

	/** Nearest-rank percentile in milliseconds; NaN when nothing succeeded. */
	synchronized double percentileMs(double p) {
		if (nanos.isEmpty()) {
			return Double.NaN;
		}
		List<Long> sorted = new ArrayList<>(nanos);
		Collections.sort(sorted);
		int rank = (int) Math.ceil(p / 100.0 * sorted.size());
		return sorted.get(Math.max(0, rank - 1)) / 1e6;
	}
}
