package org.bonemarrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

	FhirHttp(String base) {
		String host = URI.create(base).getHost();
		if (!("localhost".equals(host) || host.startsWith("127.") || "[::1]".equals(host) || "::1".equals(host))) {
			throw new IllegalArgumentException("the benchmark only targets loopback addresses, not " + host);
		}
		this.base = base;
		// HTTP/1.1: no h2c upgrade attempt on every new connection.
		this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
				.connectTimeout(Duration.ofSeconds(10)).build();
	}

	/** The answer of one call; {@code body} is null for non-2xx. */
	record Answer(int status, long nanos, JsonNode body) {
		boolean ok() {
			return status / 100 == 2;
		}
	}

	Answer postTransaction(String bundleJson) {
		return send(HttpRequest.newBuilder(URI.create(base))
				.header("Content-Type", "application/fhir+json")
				.POST(HttpRequest.BodyPublishers.ofString(bundleJson)));
	}

	Answer get(String pathAndQuery) {
		return send(HttpRequest.newBuilder(URI.create(base + "/" + pathAndQuery)).GET());
	}

	private Answer send(HttpRequest.Builder request) {
		long start = System.nanoTime();
		try {
			HttpResponse<byte[]> r = client.send(request.header("Accept", "application/fhir+json").timeout(TIMEOUT).build(),
					HttpResponse.BodyHandlers.ofByteArray());
			long elapsed = System.nanoTime() - start;
			JsonNode body = r.statusCode() / 100 == 2 ? JSON.readTree(r.body()) : null;
			return new Answer(r.statusCode(), elapsed, body);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			return new Answer(-1, System.nanoTime() - start, null);
		} catch (Exception e) {
			return new Answer(-1, System.nanoTime() - start, null);
		}
	}
}
