package org.bonemarrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * Bearer tokens for the benchmark's clients, obtained the way the real EHR, lab and integration engine
 * get theirs: client credentials from the server's {@code <data-dir>/security/clients.json}, HTTP Basic
 * to the server's own {@code /oauth2/token}, no scope parameter (the client's whole role). Each token is
 * reused until a minute before {@code expires_in}, as a well-behaved client does, so the token endpoint
 * is not part of what is timed. Secrets are never printed.
 */
final class BenchTokens {

	/** The roles the workload plays: the EHR orders, the lab reports, the integration engine searches. */
	static final String EHR = "ehr";
	static final String LAB = "lab";
	static final String INTEGRATION = "integration";

	private static final ObjectMapper JSON = new ObjectMapper();

	private record Cached(String token, long refreshAfterNanos) {}

	private final URI tokenEndpoint;
	private final Map<String, String> secrets = new HashMap<>();
	private final Map<String, Cached> cache = new HashMap<>();
	private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
			.connectTimeout(Duration.ofSeconds(10)).build();

	/**
	 * @param fhirBase    the FHIR base, e.g. http://127.0.0.1:8080/fhir; the token endpoint is
	 *                    /oauth2/token on the same host and port
	 * @param clientsFile the server's clients.json
	 */
	BenchTokens(String fhirBase, Path clientsFile) {
		this.tokenEndpoint = URI.create(fhirBase).resolve("/oauth2/token");
		try {
			for (JsonNode c : JSON.readTree(clientsFile.toFile()).path("clients")) {
				secrets.put(c.path("clientId").asText(), c.path("clientSecret").asText());
			}
		} catch (IOException e) {
			throw new UncheckedIOException("cannot read the clients file " + clientsFile, e);
		}
		for (String role : new String[] {EHR, LAB, INTEGRATION}) {
			if (!secrets.containsKey(role)) {
				throw new IllegalArgumentException("no client '" + role + "' in " + clientsFile);
			}
		}
	}

	/** A valid access token of this client, from the cache or freshly issued. */
	synchronized String token(String clientId) {
		Cached c = cache.get(clientId);
		if (c != null && System.nanoTime() < c.refreshAfterNanos()) {
			return c.token();
		}
		String basic = Base64.getEncoder().encodeToString(
				(enc(clientId) + ":" + enc(secrets.get(clientId))).getBytes(StandardCharsets.UTF_8));
		try {
			HttpResponse<String> r = client.send(HttpRequest.newBuilder(tokenEndpoint)
					.header("Authorization", "Basic " + basic)
					.header("Content-Type", "application/x-www-form-urlencoded")
					.timeout(Duration.ofSeconds(30))
					.POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build(),
					HttpResponse.BodyHandlers.ofString());
			if (r.statusCode() != 200) {
				throw new IllegalStateException("token endpoint answered " + r.statusCode() + " for client " + clientId);
			}
			JsonNode body = JSON.readTree(r.body());
			long expiresIn = body.path("expires_in").asLong(60);
			cache.put(clientId, new Cached(body.path("access_token").asText(),
					System.nanoTime() + Duration.ofSeconds(Math.max(0, expiresIn - 60)).toNanos()));
			return cache.get(clientId).token();
		} catch (IOException e) {
			throw new UncheckedIOException("token request for client " + clientId + " failed", e);
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted while getting a token", e);
		}
	}

	/** RFC 6749 2.3.1: client id and secret are form-urlencoded before Basic encoding. */
	private static String enc(String s) {
		return URLEncoder.encode(s, StandardCharsets.UTF_8);
	}
}
