package org.bonemarrow.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Command-line options of {@link ExamBenchmark}. Every count is bounded, so a typo cannot turn the
 * benchmark into an unbounded load generator.
 *
 * @param url           FHIR base of an already running server (ignored with --start-server)
 * @param exams         N exams to post (1..20000)
 * @param clients       C concurrent clients (1..16)
 * @param searches      M runs of each integrator search (0..20000)
 * @param seed          seed of the exam generator and of the search picks
 * @param warmup        exams posted before timing starts, not counted (0..500)
 * @param pid           server process id for the resident-memory figure (external server only)
 * @param startServer   start our server as a child process per mode, each on a fresh data folder
 * @param modes         with --start-server: which configurations to run, in order
 * @param serverJvmArgs JVM options of the child server (same for every mode)
 * @param serverArgs    extra Spring arguments for every child server
 * @param maxMinutes    per mode: after this, no new request is started
 * @param workDir       where child servers keep their data folders and logs
 * @param clientsFile   with --url: the server's security/clients.json, to authenticate as its ehr, lab
 *                      and integration clients; absent: no Authorization header (a server without security)
 * @param stockUrl      FHIR base of a hapi-fhir-jpaserver-starter started by hand, measured as mode
 *                      {@code starter} in the same run (its database is whatever it was started on)
 * @param stockPid      with --stock-url: the starter's pid, for its resident memory
 * @param stockJar      with --start-server: the starter's runnable war or jar, started per starter mode
 */
record BenchOptions(String url, int exams, int clients, int searches, long seed, int warmup, OptionalLong pid,
		boolean startServer, List<String> modes, List<String> serverJvmArgs, List<String> serverArgs,
		int maxMinutes, Path workDir, Optional<Path> clientsFile, Optional<String> stockUrl,
		OptionalLong stockPid, Optional<Path> stockJar) {

	/**
	 * The JVM options the README and the Dockerfile recommend. C1 only: on 2 cores the C2 compiler's threads
	 * competed with start-up and ingest (BENCHMARKS.md, "JVM options").
	 */
	static final String RECOMMENDED_JVM_OPTIONS = "-Xmx512m -XX:TieredStopAtLevel=1";

	static BenchOptions parse(String[] args) {
		Map<String, String> o = new HashMap<>();
		for (int i = 0; i < args.length; i++) {
			String a = args[i];
			if (!a.startsWith("--")) {
				throw new IllegalArgumentException("unexpected argument: " + a);
			}
			if (a.equals("--start-server")) {
				o.put("start-server", "true");
			} else if (i + 1 < args.length) {
				o.put(a.substring(2), args[++i]);
			} else {
				throw new IllegalArgumentException("missing value for " + a);
			}
		}
		Optional<String> stockUrl = Optional.ofNullable(o.get("stock-url")).map(u -> u.replaceAll("/+$", ""));
		Optional<Path> stockJar = Optional.ofNullable(o.get("stock-jar")).map(j -> Path.of(j).toAbsolutePath());
		if (stockUrl.isPresent() && stockJar.isPresent()) {
			throw new IllegalArgumentException("--stock-url and --stock-jar exclude each other: one starter, started by hand or by the benchmark");
		}
		if (stockJar.isPresent() && !o.containsKey("start-server")) {
			throw new IllegalArgumentException("--stock-jar needs --start-server (without it, start the starter by hand and give --stock-url)");
		}
		List<String> modes = words(o.getOrDefault("modes", String.join(",", defaultModes(stockUrl, stockJar))), ",");
		checkModes(modes, stockUrl, stockJar);
		return new BenchOptions(
				o.getOrDefault("url", "http://localhost:8080/fhir").replaceAll("/+$", ""),
				bounded(o, "exams", 300, 1, 20_000),
				bounded(o, "clients", 2, 1, 16),
				bounded(o, "searches", 100, 0, 20_000),
				Long.parseLong(o.getOrDefault("seed", "42")),
				bounded(o, "warmup", 10, 0, 500),
				o.containsKey("pid") ? OptionalLong.of(Long.parseLong(o.get("pid"))) : OptionalLong.empty(),
				o.containsKey("start-server"),
				modes,
				words(o.getOrDefault("server-jvm-args", RECOMMENDED_JVM_OPTIONS), " "),
				words(o.getOrDefault("server-args", ""), " "),
				bounded(o, "max-minutes", 20, 1, 120),
				Path.of(o.getOrDefault("work-dir", "target/bench")).toAbsolutePath(),
				Optional.ofNullable(o.get("clients-file")).map(Path::of),
				stockUrl,
				o.containsKey("stock-pid") ? OptionalLong.of(Long.parseLong(o.get("stock-pid"))) : OptionalLong.empty(),
				stockJar);
	}

	/** Ours, then whichever starters can run: both from a jar, the one at a URL as {@code starter}. */
	private static List<String> defaultModes(Optional<String> stockUrl, Optional<Path> stockJar) {
		List<String> modes = new ArrayList<>(ServerMode.NAMES);
		if (stockJar.isPresent()) {
			modes.addAll(ServerMode.STARTER_NAMES);
		} else if (stockUrl.isPresent()) {
			modes.add(ServerMode.STARTER);
		}
		return modes;
	}

	private static void checkModes(List<String> modes, Optional<String> stockUrl, Optional<Path> stockJar) {
		for (String m : modes) {
			if (!ServerMode.known(m)) {
				throw new IllegalArgumentException("unknown mode " + m + ", one of " + ServerMode.NAMES + " or " + ServerMode.STARTER_NAMES);
			}
			if (ServerMode.isStarter(m) && stockJar.isEmpty() && stockUrl.isEmpty()) {
				throw new IllegalArgumentException("mode " + m + " needs --stock-jar (with --start-server) or --stock-url");
			}
			// A starter at a URL runs on whatever database it was started with: one mode, not two.
			if (ServerMode.STARTER_H2FILE.equals(m) && stockUrl.isPresent()) {
				throw new IllegalArgumentException("with --stock-url the starter is measured as mode " + ServerMode.STARTER
						+ " (whatever database it runs on); " + m + " needs --stock-jar");
			}
		}
		if (modes.size() != new HashSet<>(modes).size()) {
			throw new IllegalArgumentException("a mode is listed twice in --modes: " + modes);
		}
	}

	private static int bounded(Map<String, String> o, String name, int dflt, int min, int max) {
		int v = Integer.parseInt(o.getOrDefault(name, String.valueOf(dflt)));
		if (v < min || v > max) {
			throw new IllegalArgumentException("--" + name + " must be within " + min + ".." + max);
		}
		return v;
	}

	private static List<String> words(String s, String sep) {
		return Arrays.stream(s.split(sep)).map(String::trim).filter(w -> !w.isEmpty()).toList();
	}
}
