package org.bonemarrow.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Benchmark of exam ingest and integrator searches (issue 6). Not a test: Surefire never runs it (no
 * *Test name, a main method). See BENCHMARKS.md for the command and recorded figures.
 *
 * <p>Either against a running server ({@code --url}, optional {@code --pid} for its memory), or with
 * {@code --start-server}: each of {@code --modes} (ours, no-validation, stock) is started as a child
 * process on a fresh data folder, measured, and stopped, so the configurations are compared in one run
 * on the same machine. The real stock HAPI starter (issue 17) is measured beside them: started by the
 * benchmark from {@code --stock-jar} (modes starter and starter-h2file), or started by hand at
 * {@code --stock-url} (mode starter). Prints counts and timings only.
 */
public final class ExamBenchmark {

	private ExamBenchmark() {}

	public static void main(String[] args) throws Exception {
		BenchOptions o = BenchOptions.parse(args);
		PrintStream out = System.out;
		out.printf(Locale.ROOT, "exam benchmark: N=%d exams, C=%d clients, M=%d rounds of searches, seed=%d, warm-up=%d%n",
				o.exams(), o.clients(), o.searches(), o.seed(), o.warmup());
		// Generated once, before any timing, and identical for every mode: same seed, same bundles.
		List<GeneratedExam> warmup = new ExamGenerator(o.seed() + 1_000_003L).generate(o.warmup());
		List<GeneratedExam> exams = new ExamGenerator(o.seed()).generate(o.exams());
		out.printf(Locale.ROOT, "generated %d exams, %d resources to post%n", exams.size(),
				exams.stream().mapToLong(e -> e.orderEntries() + e.labEntries()).sum());

		List<ModeResult> results = new ArrayList<>();
		if (o.startServer()) {
			for (String mode : o.modes()) {
				if (ServerMode.isStarter(mode) && o.stockUrl().isPresent()) {
					results.add(runExternalStarter(o, warmup, exams, out));
				} else if (ServerMode.isStarter(mode)) {
					results.add(runChildStarter(o, mode, warmup, exams, out));
				} else {
					results.add(runChild(o, mode, warmup, exams, out));
				}
			}
		} else {
			BenchTokens tokens = o.clientsFile().map(f -> new BenchTokens(o.url(), f)).orElse(null);
			Workload w = run(new FhirHttp(o.url(), tokens), "server", Set.of(), o, warmup, exams, out);
			results.add(new ModeResult("server", w, new ResidentMemory(o.pid()).describe(), Double.NaN, Double.NaN, Double.NaN));
			if (o.stockUrl().isPresent()) {
				results.add(runExternalStarter(o, warmup, exams, out));
			}
		}
		out.println();
		ResultTable.print(out, results);
		if (results.stream().anyMatch(r -> ServerMode.isStarter(r.mode()))) {
			out.println();
			out.println("starter: `" + Workload.SPECIMENS_BY_ORDER + "` and `" + Workload.EXAM_SUMMARY
					+ "` n/a (our package's search parameter and our operation; not sent); no adapter, so `"
					+ Workload.ORDERS_BY_PATIENT + "` finds no completed order.");
			o.stockUrl().ifPresent(u -> out.println("starter: the one started by hand at " + u
					+ " (its database, memory or file, is whatever it was started with; start-up and H2 size not measured)"));
		}
	}

	/** The starter someone started at --stock-url: measured as it runs, no tokens (it has no security). */
	private static ModeResult runExternalStarter(BenchOptions o, List<GeneratedExam> warmup, List<GeneratedExam> exams,
			PrintStream out) throws InterruptedException {
		String mode = ServerMode.STARTER;
		out.printf(Locale.ROOT, "[%s] external starter at %s (started by hand: database as it was started)%n", mode, o.stockUrl().get());
		Workload w = run(new FhirHttp(o.stockUrl().get(), null), mode, Workload.OURS_ONLY, o, warmup, exams, out);
		String memory = o.stockPid().isPresent() ? new ResidentMemory(o.stockPid()).describe() : "n/a (no --stock-pid)";
		return new ModeResult(mode, w, memory, Double.NaN, Double.NaN, Double.NaN);
	}

	/**
	 * The starter from --stock-jar, on a fresh folder, with our JVM options (so the comparison is of the
	 * servers, not of their JVM settings) and its own defaults otherwise.
	 */
	private static ModeResult runChildStarter(BenchOptions o, String mode, List<GeneratedExam> warmup,
			List<GeneratedExam> exams, PrintStream out) throws Exception {
		Path modeDir = o.workDir().resolve(mode);
		Path jar = o.stockJar().orElseThrow();
		out.printf(Locale.ROOT, "[%s] starting the stock starter %s %s %s%n", mode, String.join(" ", o.serverJvmArgs()), jar,
				String.join(" ", ServerMode.starterArgsOf(mode, modeDir.resolve("data"))));
		try (ChildServer server = ChildServer.startStarter(modeDir, jar, o.serverJvmArgs(), d -> ServerMode.starterArgsOf(mode, d))) {
			Thread reaper = new Thread(server.process::destroyForcibly);
			Runtime.getRuntime().addShutdownHook(reaper);
			out.printf(Locale.ROOT, "[%s] ready in %.1f s on port %d%n", mode, server.startupSeconds, server.port);
			Workload w = run(new FhirHttp(server.fhirBase(), null), mode, Workload.OURS_ONLY, o, warmup, exams, out);
			String memory = new ResidentMemory(OptionalLong.of(server.process.pid())).describe();
			// In memory there is no file to measure: n/a, not a flattering 0.
			boolean onFile = ServerMode.STARTER_H2FILE.equals(mode);
			double afterRun = onFile ? ChildServer.sizeOf(server.dataDir) / 1048576.0 : Double.NaN;
			server.stop();
			double stopped = onFile ? ChildServer.sizeOf(server.dataDir) / 1048576.0 : Double.NaN;
			Runtime.getRuntime().removeShutdownHook(reaper);
			out.printf(Locale.ROOT, "[%s] stopped; log %s%n", mode, o.workDir().relativize(modeDir.resolve("server.log")));
			return new ModeResult(mode, w, memory, server.startupSeconds, afterRun, stopped);
		}
	}

	private static ModeResult runChild(BenchOptions o, String mode, List<GeneratedExam> warmup,
			List<GeneratedExam> exams, PrintStream out) throws Exception {
		List<String> springArgs = new ArrayList<>(ServerMode.argsOf(mode));
		springArgs.addAll(o.serverArgs());
		Path modeDir = o.workDir().resolve(mode);
		out.printf(Locale.ROOT, "[%s] starting server %s %s%n", mode, String.join(" ", o.serverJvmArgs()), String.join(" ", springArgs));
		try (ChildServer server = ChildServer.start(modeDir, o.serverJvmArgs(), springArgs)) {
			// If the benchmark is interrupted, the child must not outlive it.
			Thread reaper = new Thread(server.process::destroyForcibly);
			Runtime.getRuntime().addShutdownHook(reaper);
			out.printf(Locale.ROOT, "[%s] ready in %.1f s on port %d%n", mode, server.startupSeconds, server.port);
			// As real clients: the EHR, lab and integration engine each with its own client's token, the
			// credentials from the file the server wrote on its first start. Stock mode has no security.
			BenchTokens tokens = ServerMode.secured(mode)
					? new BenchTokens(server.fhirBase(), server.dataDir.resolve("security/clients.json")) : null;
			Workload w = run(new FhirHttp(server.fhirBase(), tokens), mode, Set.of(), o, warmup, exams, out);
			String memory = new ResidentMemory(OptionalLong.of(server.process.pid())).describe();
			double afterRun = ChildServer.sizeOf(server.dataDir) / 1048576.0;
			server.stop();
			double stopped = ChildServer.sizeOf(server.dataDir) / 1048576.0;
			Runtime.getRuntime().removeShutdownHook(reaper);
			out.printf(Locale.ROOT, "[%s] stopped; data folder %s%n", mode, o.workDir().relativize(server.dataDir));
			return new ModeResult(mode, w, memory, server.startupSeconds, afterRun, stopped);
		}
	}

	private static Workload run(FhirHttp http, String mode, Set<String> notApplicable, BenchOptions o,
			List<GeneratedExam> warmup, List<GeneratedExam> exams, PrintStream out) throws InterruptedException {
		Workload w = new Workload(http, mode, o.clients(), o.maxMinutes(), notApplicable);
		w.warmUp(warmup);
		w.ingest(exams);
		out.printf(Locale.ROOT, "  ingest: %d/%d exams in %.1f s%n", w.examsOk.get(), exams.size(), w.ingestSeconds);
		w.search(o.searches(), o.seed());
		out.println("  searches done");
		return w;
	}
}
