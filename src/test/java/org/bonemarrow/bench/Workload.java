package org.bonemarrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * The workload against one server: C clients post the exams (EHR's order transaction, then the lab's
 * report transaction that refers to the order by the id the server gave it), then run the integrators'
 * searches M times each. Bounded by count and by a deadline.
 *
 * <p>Against the stock HAPI starter two searches do not exist: {@code Specimen?request} is a search
 * parameter of our profile package and {@code $exam-summary} our operation. They are not sent there and
 * their figures are "n/a", neither errors nor fast answers; everything else is the same requests.
 */
final class Workload {

	static final String ORDER_TX = "order transaction (EHR)";
	static final String LAB_TX = "report transaction (lab)";
	static final String REPORT_BY_ORDER = "DiagnosticReport?based-on&_include";
	static final String ORDERS_BY_PATIENT = "ServiceRequest?patient&status=completed";
	static final String SPECIMENS_BY_ORDER = "Specimen?request";
	static final String EXAM_SUMMARY = "ServiceRequest/{id}/$exam-summary";
	/** What only our server answers (our package's search parameter, our operation). */
	static final Set<String> OURS_ONLY = Set.of(SPECIMENS_BY_ORDER, EXAM_SUMMARY);

	/** An exam the server accepted whole: what the searches ask about. */
	private record Posted(String orderId, String patientId) {}

	private final FhirHttp http;
	private final String mode;
	private final int clients;
	private final long deadlineNanos;
	/** Operations not sent to this server; the table prints n/a for them. */
	final Set<String> notApplicable;
	/** Operations whose first error has been shown, so a wrong setup prints one line each, not thousands. */
	private final Set<String> errorShown = ConcurrentHashMap.newKeySet();
	final Map<String, Latencies> latencies = new LinkedHashMap<>();
	private final ConcurrentLinkedQueue<Posted> posted = new ConcurrentLinkedQueue<>();
	final AtomicInteger examsOk = new AtomicInteger();
	final AtomicLong resourcesOk = new AtomicLong();
	double ingestSeconds;

	/**
	 * @param mode          the configuration's name, to label the errors shown on stderr
	 * @param notApplicable operations not sent to this server (e.g. {@link #OURS_ONLY} for the starter)
	 */
	Workload(FhirHttp http, String mode, int clients, int maxMinutes, Set<String> notApplicable) {
		this.http = http;
		this.mode = mode;
		this.notApplicable = Set.copyOf(notApplicable);
		this.clients = clients;
		this.deadlineNanos = System.nanoTime() + TimeUnit.MINUTES.toNanos(maxMinutes);
		for (String op : List.of(ORDER_TX, LAB_TX, REPORT_BY_ORDER, ORDERS_BY_PATIENT, SPECIMENS_BY_ORDER, EXAM_SUMMARY)) {
			latencies.put(op, new Latencies(op));
		}
	}

	/** Warm-up: the same kind of exams, posted but neither timed nor counted (JIT, caches, pools). */
	void warmUp(List<GeneratedExam> exams) throws InterruptedException {
		Map<String, Latencies> discard = new HashMap<>();
		discard.put(ORDER_TX, new Latencies(ORDER_TX));
		discard.put(LAB_TX, new Latencies(LAB_TX));
		runParallel(exams.size(), i -> postExam(exams.get(i), discard, false));
	}

	void ingest(List<GeneratedExam> exams) throws InterruptedException {
		long start = System.nanoTime();
		runParallel(exams.size(), i -> postExam(exams.get(i), latencies, true));
		ingestSeconds = (System.nanoTime() - start) / 1e9;
	}

	private void postExam(GeneratedExam exam, Map<String, Latencies> into, boolean count) {
		FhirHttp.Answer order = http.postTransaction(exam.orderJson(), BenchTokens.EHR);
		if (!order.ok()) {
			failed(into.get(ORDER_TX), order);
			return;
		}
		into.get(ORDER_TX).ok(order.nanos(), false);
		// The lab knows the order (and patient, orderer...) by the ids the server gave them.
		Map<String, String> ids = locations(exam.orderFullUrls(), order.body());
		String lab = exam.labTemplate();
		for (Map.Entry<String, String> e : ids.entrySet()) {
			lab = lab.replace("\"" + e.getKey() + "\"", "\"" + e.getValue() + "\"");
		}
		FhirHttp.Answer report = http.postTransaction(lab, BenchTokens.LAB);
		if (!report.ok()) {
			failed(into.get(LAB_TX), report);
			return;
		}
		into.get(LAB_TX).ok(report.nanos(), false);
		if (count) {
			examsOk.incrementAndGet();
			resourcesOk.addAndGet(exam.orderEntries() + exam.labEntries());
			posted.add(new Posted(idOfType(ids, "ServiceRequest/"), idOfType(ids, "Patient/")));
		}
	}

	private static Map<String, String> locations(List<String> fullUrls, JsonNode response) {
		Map<String, String> ids = new HashMap<>();
		JsonNode entries = response.path("entry");
		for (int i = 0; i < fullUrls.size() && i < entries.size(); i++) {
			String location = entries.get(i).path("response").path("location").asText();
			ids.put(fullUrls.get(i), location.replaceAll("/_history/.*$", ""));
		}
		return ids;
	}

	private static String idOfType(Map<String, String> ids, String prefix) {
		return ids.values().stream().filter(v -> v.startsWith(prefix)).findFirst().orElseThrow();
	}

	/** M rounds of the four searches, each round about one exam picked at random (seeded). */
	void search(int rounds, long seed) throws InterruptedException {
		List<Posted> exams = new ArrayList<>(posted);
		if (exams.isEmpty() || rounds == 0) {
			return;
		}
		Random random = new Random(seed + 1);
		List<Posted> picks = new ArrayList<>(rounds);
		for (int i = 0; i < rounds; i++) {
			picks.add(exams.get(random.nextInt(exams.size())));
		}
		runParallel(rounds, i -> {
			Posted p = picks.get(i);
			timed(REPORT_BY_ORDER, "DiagnosticReport?based-on=" + p.orderId() + "&_include=DiagnosticReport:result");
			timed(ORDERS_BY_PATIENT, "ServiceRequest?patient=" + p.patientId() + "&status=completed");
			timed(SPECIMENS_BY_ORDER, "Specimen?request=" + p.orderId());
			timed(EXAM_SUMMARY, p.orderId() + "/$exam-summary");
		});
	}

	private void timed(String op, String query) {
		if (notApplicable.contains(op)) {
			return;
		}
		FhirHttp.Answer a = http.get(query, BenchTokens.INTEGRATION);
		if (a.ok()) {
			latencies.get(op).ok(a.nanos(), a.body().path("entry").isEmpty());
		} else {
			failed(latencies.get(op), a);
		}
	}

	/** Counted, and the first of each operation shown on stderr (warm-up included: a wrong setup fails there first). */
	private void failed(Latencies l, FhirHttp.Answer a) {
		l.error();
		if (errorShown.add(l.operation)) {
			System.err.printf(Locale.ROOT, "[%s] first error of %s: %s%n", mode, l.operation, ErrorDigest.of(a.status(), a.errorText()));
		}
	}

	/** Tasks 0..count-1 on C client threads; stops handing out work at the deadline. */
	private void runParallel(int count, IntConsumer task) throws InterruptedException {
		AtomicInteger next = new AtomicInteger();
		ExecutorService pool = Executors.newFixedThreadPool(clients, r -> {
			Thread t = new Thread(r, "bench-client");
			t.setDaemon(true);
			return t;
		});
		for (int c = 0; c < clients; c++) {
			pool.execute(() -> {
				for (int i = next.getAndIncrement(); i < count && System.nanoTime() < deadlineNanos; i = next.getAndIncrement()) {
					task.accept(i);
				}
			});
		}
		pool.shutdown();
		pool.awaitTermination(2, TimeUnit.HOURS);
	}
}
