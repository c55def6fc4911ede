package org.bonemarrow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's pure parts for the comparison with the stock HAPI starter (issue 17): which modes run,
 * the starter's arguments, the ratio rows and n/a cells of the table, the error digest. No server.
 */
class StarterComparisonTest {

	@Test
	void aStarterJarAddsBothStarterModesAndAUrlOnlyTheInMemoryName() {
		assertThat(BenchOptions.parse(new String[] {"--start-server", "--stock-jar", "x.war"}).modes())
				.containsExactly("ours", "no-validation", "stock", "starter", "starter-h2file");
		assertThat(BenchOptions.parse(new String[] {"--stock-url", "http://127.0.0.1:8080/fhir/"}).modes())
				.containsExactly("ours", "no-validation", "stock", "starter");
		assertThat(BenchOptions.parse(new String[] {"--stock-url", "http://127.0.0.1:8080/fhir/"}).stockUrl())
				.contains("http://127.0.0.1:8080/fhir");
		assertThat(BenchOptions.parse(new String[0]).modes()).containsExactly("ours", "no-validation", "stock");
	}

	@Test
	void starterModesNeedAStarterAndAUrlCannotBeTheFileMode() {
		assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--start-server", "--modes", "ours,starter"}))
				.hasMessageContaining("needs --stock-jar");
		assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--start-server", "--modes", "starter-h2file",
				"--stock-url", "http://127.0.0.1:8080/fhir"})).hasMessageContaining("needs --stock-jar");
		assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--stock-jar", "x.war"}))
				.hasMessageContaining("needs --start-server");
		assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--start-server", "--stock-jar", "x.war",
				"--stock-url", "http://127.0.0.1:8080/fhir"})).hasMessageContaining("exclude each other");
		assertThatThrownBy(() -> BenchOptions.parse(new String[] {"--modes", "ours,startr"}))
				.hasMessageContaining("unknown mode startr");
	}

	@Test
	void theFileModeIsTheStartersOwnSuggestedUrlInTheFreshFolderAndNothingElse() {
		Path data = Path.of("/tmp/bench/starter-h2file/data");
		assertThat(ServerMode.starterArgsOf("starter-h2file", data))
				.containsExactly("--spring.datasource.url=jdbc:h2:file:/tmp/bench/starter-h2file/data/h2");
		assertThat(ServerMode.starterArgsOf("starter", data)).isEmpty();
		assertThat(ServerMode.secured("starter")).isFalse();
		assertThat(ServerMode.secured("ours")).isTrue();
	}

	@Test
	void ratiosAreAgainstEachStarterThatRanAndOurOnlySearchesAreNotApplicableThere() {
		ModeResult ours = result("ours", 10, 5.0, Set.of());
		ModeResult starter = result("starter", 40, 5.0, Workload.OURS_ONLY);
		ModeResult onFile = result("starter-h2file", 20, 5.0, Workload.OURS_ONLY);
		String table = print(List.of(ours, starter, onFile));

		assertThat(table).contains("| exams/s vs starter-h2file | 0.50x | 2.00x | 1.00x |")
				.contains("| exams/s vs starter | 0.25x | 1.00x | 0.50x |")
				.doesNotContain("vs stock")
				.contains("| `Specimen?request` p50 / p95 / p99 ms | 12.0 / 12.0 / 12.0 | n/a | n/a |")
				.contains("| `Specimen?request` ok / errors / empty | 1 / 0 / 0 | n/a | n/a |")
				.contains("| `DiagnosticReport?based-on&_include` ok / errors / empty | 1 / 0 / 0 | 1 / 0 / 0 | 1 / 0 / 0 |");
		assertThat(print(List.of(ours, result("stock", 20, 5.0, Set.of())))).contains("| exams/s vs stock | 0.50x | 1.00x |");
	}

	@Test
	void anErrorIsShownWithItsIssuesButNotTheRequestsValues() {
		String outcome = """
				{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"processing",
				"diagnostics":"HAPI-0524: Unknown search parameter \\"request\\" for Practitioner?identifier=http://x|SECRET-1"}]}""";
		assertThat(ErrorDigest.of(400, outcome))
				.isEqualTo("HTTP 400: error/processing: HAPI-0524: Unknown search parameter \"…\" for Practitioner?identifier=…");
		assertThat(ErrorDigest.of(500, "<html><body><h1>Boom 'Jane Doe'</h1></body></html>")).isEqualTo("HTTP 500: Boom '…'");
		assertThat(ErrorDigest.of(-1, "no answer: ConnectException")).isEqualTo("no HTTP answer: no answer: ConnectException");
	}

	/** One exam-run's figures: {@code exams} in {@code seconds}, one answer of every search it was sent. */
	private static ModeResult result(String mode, int exams, double seconds, Set<String> notApplicable) {
		Workload w = new Workload(new FhirHttp("http://127.0.0.1:1/fhir", null), mode, 1, 1, notApplicable);
		w.examsOk.set(exams);
		w.ingestSeconds = seconds;
		w.latencies.forEach((op, l) -> {
			if (!notApplicable.contains(op)) {
				l.ok(12_000_000L, false);
			}
		});
		return new ModeResult(mode, w, "n/a", Double.NaN, Double.NaN, Double.NaN);
	}

	private static String print(List<ModeResult> results) {
		ByteArrayOutputStream bytes = new ByteArrayOutputStream();
		ResultTable.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), results);
		return bytes.toString(StandardCharsets.UTF_8);
	}
}
