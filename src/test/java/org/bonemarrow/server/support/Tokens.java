package org.bonemarrow.server.support;

import static io.restassured.RestAssured.given;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.response.Response;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Access tokens from the server's real token endpoint, for the clients the server created in its data
 * folder ({@code <data-dir>/security/clients.json}), exactly as an administrator would hand them out.
 * Cached per server and client until shortly before they expire.
 */
public final class Tokens {

	/** A client with every scope, for tests whose subject is not access control (see FhirServerTest). */
	public static final String TEST_ADMIN = "test-admin";

	private static final ObjectMapper JSON = new ObjectMapper();
	private static final Map<String, Cached> CACHE = new ConcurrentHashMap<>();

	private record Cached(String token, Instant refreshAfter) {}

	private Tokens() {}

	/** The client's secret as stored by the server in its data folder. */
	public static String secret(Path clientsFile, String clientId) {
		try {
			JsonNode clients = JSON.readTree(clientsFile.toFile()).get("clients");
			for (JsonNode c : clients) {
				if (clientId.equals(c.get("clientId").asText())) {
					return c.get("clientSecret").asText();
				}
			}
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		throw new IllegalArgumentException("No client " + clientId + " in " + clientsFile);
	}

	/**
	 * A token for this client from the server at this port (client_secret_basic, no scope parameter).
	 *
	 * @param clientsFile the server's {@code <data-dir>/security/clients.json}
	 */
	public static String token(int port, Path clientsFile, String clientId) {
		String key = port + "|" + clientId;
		Cached cached = CACHE.get(key);
		if (cached != null && Instant.now().isBefore(cached.refreshAfter())) {
			return cached.token();
		}
		Response r = request(port, clientId, secret(clientsFile, clientId), null);
		r.then().statusCode(200);
		String token = r.jsonPath().getString("access_token");
		long expiresIn = r.jsonPath().getLong("expires_in");
		CACHE.put(key, new Cached(token, Instant.now().plusSeconds(Math.max(0, expiresIn - 60))));
		return token;
	}

	/** The raw token endpoint response, for tests about the token endpoint itself. */
	public static Response request(int port, String clientId, String secret, String scope) {
		var spec = given().baseUri("http://localhost").port(port).basePath("")
				.auth().preemptive().basic(clientId, secret)
				.contentType("application/x-www-form-urlencoded")
				.formParam("grant_type", "client_credentials");
		if (scope != null) {
			spec.formParam("scope", scope);
		}
		return spec.post("/oauth2/token");
	}
}
