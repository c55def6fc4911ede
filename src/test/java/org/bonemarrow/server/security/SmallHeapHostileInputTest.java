package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import io.restassured.response.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.ServerProcess;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The requests that took the server's heap (a gzip bomb, a small gzip body inflating to megabytes, numbers
 * with huge exponents in a write and in a search), sent at once to a server process with a small heap:
 * each is refused with its OperationOutcome, and the server keeps answering. The process exits on an
 * OutOfMemoryError, so a heap exhausted anywhere shows as a dead process, not as a slow one.
 */
class SmallHeapHostileInputTest {

	private static final FhirContext CTX = FhirContext.forR4Cached();
	/**
	 * The server's own live set after start-up is ~320 MB (the profile validator's structure definitions), so
	 * 256 MB does not start it; 448 MB leaves ~128 MB for requests. A gzip bomb (~1 GB inflated) or a
	 * plain-written 1e999999999 (~1 GB) would still exhaust it many times over.
	 */
	private static final String HEAP = "-Xmx448m";
	private static ServerProcess server;

	@BeforeAll
	static void startServerWithASmallHeap() throws Exception {
		Path dataDir = Files.createDirectories(Path.of("target", "small-heap-" + Fixtures.unique("h2")));
		server = ServerProcess.start(dataDir, dataDir.resolve("server.log"),
				List.of(HEAP, "-XX:+ExitOnOutOfMemoryError"));
	}

	@AfterAll
	static void stopServer() throws Exception {
		if (server != null) {
			server.close();
		}
	}

	@Test
	void memoryExhaustingRequestsAreRefused_andTheServerStillAnswers() throws Exception {
		String integration = server.token("integration");
		String admin = server.token("test-admin");
		String family = Fixtures.unique("SmallHeap");
		byte[] bomb = HostileInputRestTest.gzipBomb(1024 * 1024);
		byte[] inflatesTo8Mb = HostileInputRestTest.gzip("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family
				+ "\",\"text\":\"" + "x".repeat(8 * 1024 * 1024) + "\"}]}");
		assertThat(inflatesTo8Mb.length).isLessThan(16 * 1024);
		String hugeExponent = "{\"resourceType\":\"Observation\",\"identifier\":[{\"system\":\"urn:bme-test\",\"value\":\""
				+ family + "\"}],\"status\":\"final\",\"code\":{\"text\":\"weight\"},\"valueQuantity\":{\"value\":1e999999999}}";

		List<Callable<Response>> requests = new ArrayList<>();
		List<Integer> expected = new ArrayList<>();
		for (int i = 0; i < 2; i++) {
			requests.add(() -> server.fhir(admin).header("Content-Encoding", "gzip").body(bomb).post("/Patient"));
			expected.add(413);
			requests.add(() -> server.fhir(admin).header("Content-Encoding", "gzip").body(inflatesTo8Mb).post("/Patient"));
			expected.add(413);
			requests.add(() -> server.fhir(admin).body(hugeExponent).post("/Observation"));
			expected.add(400);
		}
		for (int i = 0; i < 3; i++) {
			requests.add(() -> server.fhir(integration).get("/Observation?value-quantity=1e60000000"));
			expected.add(400);
		}
		ExecutorService pool = Executors.newFixedThreadPool(requests.size());
		try {
			List<Future<Response>> answers = pool.invokeAll(requests, 3, TimeUnit.MINUTES);
			for (int i = 0; i < answers.size(); i++) {
				Response r = answers.get(i).get();
				assertThat(r.statusCode()).as("request %d", i).isEqualTo(expected.get(i));
				OperationOutcome outcome = CTX.newJsonParser().parseResource(OperationOutcome.class, r.asString());
				assertThat(outcome.getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
				assertThat(outcome.getIssueFirstRep().getDiagnostics()).as("request %d", i)
						.containsAnyOf("max-request-size", "the limit is 1000");
			}
		} finally {
			pool.shutdownNow();
		}

		assertThat(server.isAlive()).isTrue();
		HttpResponse<String> health = HttpClient.newHttpClient().send(
				HttpRequest.newBuilder(URI.create("http://localhost:" + server.port + "/actuator/health"))
						.timeout(Duration.ofSeconds(10)).build(),
				HttpResponse.BodyHandlers.ofString());
		assertThat(health.statusCode()).isEqualTo(200);
		Response search = server.fhir(integration).get("/Patient?family=" + family + "&_total=accurate");
		assertThat(search.statusCode()).isEqualTo(200);
		assertThat(search.asString()).contains("\"total\":0");
		Response observations = server.fhir(integration).get("/Observation?identifier=urn:bme-test|" + family + "&_total=accurate");
		assertThat(observations.statusCode()).isEqualTo(200);
		assertThat(observations.asString()).contains("\"total\":0");
	}
}
