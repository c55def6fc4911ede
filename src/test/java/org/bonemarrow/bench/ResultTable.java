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

	static void print(PrintStream out, List<ModeResult> results, String stockMode) {
		List<String> header = new ArrayList<>(List.of("metric"));
		results.forEach(r -> header.add(r.mode()));
		out.println("| " + String.join(" | ", header) + " |");
		out.println("|" + "---|".repeat(header.size()));
		ModeResult stock = results.stream().filter(r -> r.mode().equals(stockMode)).findFirst().orElse(null);
		row(out, "exams/s (both transactions answered 2xx)", results, r -> f1(r.examsPerSecond()));
		if (stock != null) {
			row(out, "exams/s vs " + stockMode, results, r -> String.format(Locale.ROOT, "%.2fx", r.examsPerSecond() / stock.examsPerSecond()));
		}
		row(out, "resources/s (posted by the clients)", results, r -> f1(r.resourcesPerSecond()));
		row(out, "exams ok / ingest seconds", results, r -> r.workload().examsOk.get() + " / " + f1(r.workload().ingestSeconds));
		for (Latencies l : results.get(0).workload().latencies.values()) {
			String op = l.operation;
			row(out, "`" + op + "` p50 / p95 / p99 ms", results, r -> latency(r.workload().latencies.get(op)));
			row(out, "`" + op + "` ok / errors / empty", results, r -> {
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

	private static String latency(Latencies l) {
		return f1(l.percentileMs(50)) + " / " + f1(l.percentileMs(95)) + " / " + f1(l.percentileMs(99));
	}

	private static String f1(double v) {
		return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f", v);
	}
}
