package org.bonemarrow.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * One Markdown table, a column per configuration, so it can be pasted into BENCHMARKS.md as printed.
 * Counts and timings only: nothing of the exams' content.
 */
final class ResultTable {

	private ResultTable() {}

	/**
	 * The table; exams/s is also given as a ratio to each of {@link ServerMode#RATIO_BASES} that ran (the
	 * starter on an H2 file is the target base, the starter in memory how far from its default).
	 */
	static void print(PrintStream out, List<ModeResult> results) {
		List<String> header = new ArrayList<>(List.of("metric"));
		results.forEach(r -> header.add(r.mode()));
		out.println("| " + String.join(" | ", header) + " |");
		out.println("|" + "---|".repeat(header.size()));
		row(out, "exams/s (both transactions answered 2xx)", results, r -> f1(r.examsPerSecond()));
		for (String base : ServerMode.RATIO_BASES) {
			results.stream().filter(r -> r.mode().equals(base)).findFirst().ifPresent(b ->
					row(out, "exams/s vs " + base, results, r -> ratio(r.examsPerSecond(), b.examsPerSecond())));
		}
		row(out, "resources/s (posted by the clients)", results, r -> f1(r.resourcesPerSecond()));
		row(out, "exams ok / ingest seconds", results, r -> r.workload().examsOk.get() + " / " + f1(r.workload().ingestSeconds));
		for (Latencies l : results.get(0).workload().latencies.values()) {
			String op = l.operation;
			// Not sent to that server (the starter lacks it): n/a, neither an error nor a fast answer.
			row(out, "`" + op + "` p50 / p95 / p99 ms", results, r -> r.workload().notApplicable.contains(op)
					? "n/a" : latency(r.workload().latencies.get(op)));
			row(out, "`" + op + "` ok / errors / empty", results, r -> {
				if (r.workload().notApplicable.contains(op)) {
					return "n/a";
				}
				Latencies x = r.workload().latencies.get(op);
				return x.count() + " / " + x.errors() + " / " + x.empty();
			});
		}
		row(out, "server RSS MiB, peak / end", results, ModeResult::memory);
		row(out, "startup to readiness, s", results, r -> f1(r.startupSeconds()));
		row(out, "H2 data MiB after run / after stop", results, r -> f1(r.dataMiBAfterRun()) + " / " + f1(r.dataMiBStopped()));
	}

	private static void row(PrintStream out, String name, List<ModeResult> results, Function<ModeResult, String> cell) {
		StringBuilder b = new StringBuilder("| ").append(name);
		results.forEach(r -> b.append(" | ").append(cell.apply(r)));
		out.println(b.append(" |"));
	}

	private static String ratio(double value, double base) {
		return Double.isNaN(value) || Double.isNaN(base) || base == 0 ? "n/a" : String.format(Locale.ROOT, "%.2fx", value / base);
	}

	private static String latency(Latencies l) {
		return f1(l.percentileMs(50)) + " / " + f1(l.percentileMs(95)) + " / " + f1(l.percentileMs(99));
	}

	private static String f1(double v) {
		return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f", v);
	}
}
