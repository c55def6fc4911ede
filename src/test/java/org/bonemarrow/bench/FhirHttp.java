package org.bonemarrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The few HTTP calls the benchmark makes, with java.net.http. Refuses any base URL that is not on this
 * machine (loopback only: this is a load generator). Answers are parsed with Jackson, which is cheaper
 * on the client's share of the CPU than a FHIR parser.
 */
final class FhirHttp {

	private static final ObjectMapper JSON = new ObjectMapper();
	private static final Duration TIMEOUT = Duration.ofMinutes(2);

	private final HttpClient client;
	private final String base;
	/** Null: no Authorization header (stock mode, a server without security). */
	private final BenchTokens tokens;

	/**
	 * @param tokens the clients' tokens, or null to send no Authorization header (stock mode)
	 */
	FhirHttp(String base, BenchTokens tokens) {
		String host = URI.create(base).getHost();
		if (!("localhost".equals(host) || host.startsWith("127.") || "[::1]".equals(host) || "::1".equals(host))) {
			throw new IllegalArgumentException("the benchmark only targets loopback addresses, not " + host);
		}
		this.base = base;
		this.tokens = tokens;
		// HTTP/1.1: no h2c upgrade attempt on every new connection.
		this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
				.connectTimeout(Duration.ofSeconds(10)).build();
	}

	/**
	 * The answer of one call; {@code body} is null for non-2xx.
	 *
	 * @param status    HTTP status, -1 when no answer came
	 * @param errorText for non-2xx, the raw answer (or the client's exception), so the first error of each
	 *                  operation can be shown in a digest ({@link ErrorDigest}); null for 2xx
	 */
	record Answer(int status, long nanos, JsonNode body, String errorText) {
		boolean ok() {
			return status / 100 == 2;
		}
	}

	/** A transaction as client {@code clientId} (e.g. the EHR's order, the lab's report). */
	Answer postTransaction(String bundleJson, String clientId) {
		return send(HttpRequest.newBuilder(URI.create(base))
				.header("Content-Type", "application/fhir+json")
				.POST(HttpRequest.BodyPublishers.ofString(bundleJson)), clientId);
	}

	Answer get(String pathAndQuery, String clientId) {
		return send(HttpRequest.newBuilder(URI.create(base + "/" + pathAndQuery)).GET(), clientId);
	}

	private Answer send(HttpRequest.Builder request, String clientId) {
		// The token comes from the cache (or the token endpoint) before the clock starts: latency is the
		// FHIR call's alone, as for a real client that reuses its token.
		if (tokens != null) {
			request.header("Authorization", "Bearer " + tokens.token(clientId));
		}
		long start = System.nanoTime();
		try {
			HttpResponse<byte[]> r = client.send(request.header("Accept", "application/fhir+json").timeout(TIMEOUT).build(),
					HttpResponse.BodyHandlers.ofByteArray());
			long elapsed = System.nanoTime() - start;
			if (r.statusCode() / 100 == 2) {
				return new Answer(r.statusCode(), elapsed, JSON.readTree(r.body()), null);
			}
			return new Answer(r.statusCode(), elapsed, null, new String(r.body(), StandardCharsets.UTF_8));
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			return new Answer(-1, System.nanoTime() - start, null, "interrupted");
		} catch (Exception e) {
			// The exception's class only: its message can quote the answer.
			return new Answer(-1, System.nanoTime() - start, null, "no answer: " + e.getClass().getSimpleName());
		}
	}
}
