package org.bonemarrow.server.security;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The embedded authorization server's clients, one per configured role, kept in
 * {@code <data-dir>/security/clients.json} (owner-only). Secrets are random on first start, never in the
 * repository or the logs; the file is where an administrator reads them to hand to the EHR, the lab
 * system and the integration engine. A role added to the configuration later gets its client on the
 * next start; existing secrets are kept.
 */
final class EmbeddedClients {

	static final String FILE_NAME = "clients.json";
	private static final ObjectMapper JSON = new ObjectMapper()
			.enable(SerializationFeature.INDENT_OUTPUT)
			.setSerializationInclusion(JsonInclude.Include.NON_NULL);
	private static final SecureRandom RANDOM = new SecureRandom();

	/** One client as written to the file. */
	record Client(String clientId, String clientSecret, String role, String scopes) {}

	/** The file's shape: a note for the human who opens it, then the clients. */
	record ClientsFile(String note, String tokenEndpoint, List<Client> clients) {}

	private EmbeddedClients() {}

	/** Loads the file, adds a client for every role that has none, and writes it back if it changed. */
	static List<Client> ensure(Path file, List<String> roleNames, ClientRoles roles) {
		Map<String, Client> byId = new LinkedHashMap<>();
		read(file).forEach(c -> byId.put(c.clientId(), c));
		boolean changed = false;
		for (String role : roleNames) {
			String scopes = roles.scopesOf(role).orElseThrow(() -> new IllegalStateException(
					"bonemarrow.security.embedded.clients names role '" + role + "', which is not configured"));
			Client existing = byId.get(role);
			if (existing == null || !scopes.equals(existing.scopes())) {
				String secret = existing == null ? newSecret() : existing.clientSecret();
				byId.put(role, new Client(role, secret, role, scopes));
				changed = true;
			}
		}
		List<Client> clients = new ArrayList<>();
		for (String role : roleNames) {
			clients.add(byId.get(role));
		}
		if (changed) {
			try {
				SecretFiles.write(file, JSON.writeValueAsString(new ClientsFile(
						"OAuth 2.0 client credentials of this server's embedded authorization server. "
								+ "Keep secret. Get a token: POST /oauth2/token with HTTP Basic client_id:client_secret "
								+ "and grant_type=client_credentials.",
						"/oauth2/token", clients)));
			} catch (IOException e) {
				throw new UncheckedIOException(e);
			}
		}
		return clients;
	}

	private static List<Client> read(Path file) {
		if (!Files.exists(file)) {
			return List.of();
		}
		try {
			ClientsFile parsed = JSON.readValue(file.toFile(), ClientsFile.class);
			return parsed.clients() == null ? List.of() : parsed.clients();
		} catch (IOException e) {
			throw new UncheckedIOException("Cannot read " + file + "; fix or delete it to get new clients", e);
		}
	}

	private static String newSecret() {
		byte[] bytes = new byte[32];
		RANDOM.nextBytes(bytes);
		return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
	}
}
