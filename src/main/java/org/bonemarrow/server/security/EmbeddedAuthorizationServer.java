package org.bonemarrow.server.security;

import com.nimbusds.jose.jwk.RSAKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;
import org.springframework.security.oauth2.server.authorization.client.InMemoryRegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.settings.TokenSettings;
import org.springframework.security.oauth2.server.authorization.token.JwtEncodingContext;

/**
 * State of the embedded authorization server, kept in {@code <data-dir>/security/}: the clients (one per
 * configured role, random secrets) and the token signing key. Created on first start; the location, never
 * the secrets, is logged so the administrator knows where to read them. Backend clients (private_key_jwt,
 * {@code security.backend}) are registered alongside; nothing of theirs is secret or kept here.
 */
public final class EmbeddedAuthorizationServer {

	private static final Logger log = LoggerFactory.getLogger(EmbeddedAuthorizationServer.class);

	private final RegisteredClientRepository registeredClients;
	private final RSAKey signingKey;
	private final Path clientsFile;

	private EmbeddedAuthorizationServer(RegisteredClientRepository registeredClients, RSAKey signingKey, Path clientsFile) {
		this.registeredClients = registeredClients;
		this.signingKey = signingKey;
		this.clientsFile = clientsFile;
	}

	/** @param backendClients further clients, registered as they are (the backend clients) */
	public static EmbeddedAuthorizationServer open(Path folder, SecurityProperties.Embedded settings, ClientRoles roles,
			List<RegisteredClient> backendClients) {
		Path clientsFile = folder.resolve(EmbeddedClients.FILE_NAME).toAbsolutePath().normalize();
		List<EmbeddedClients.Client> clients = EmbeddedClients.ensure(clientsFile, settings.clients(), roles);
		// A first start generates the RSA signing key (seconds with the C1-only JIT): beside the hashing below.
		CompletableFuture<RSAKey> signingKey =
				CompletableFuture.supplyAsync(() -> SigningKey.loadOrCreate(folder.resolve(SigningKey.FILE_NAME)));
		PasswordEncoder encoder = PasswordEncoderFactories.createDelegatingPasswordEncoder();
		// Hashing each secret (bcrypt) is deliberately slow; the clients are hashed in parallel so a start does not
		// wait for them one after the other (issue 17, start-up).
		List<RegisteredClient> registered = new ArrayList<>(clients.parallelStream()
				.map(client -> registeredClient(client, encoder, settings))
				.toList());
		registered.addAll(backendClients);
		log.info("OAuth 2.0 clients {} (client credentials, token endpoint /oauth2/token): secrets are in {}",
				clients.stream().map(EmbeddedClients.Client::clientId).toList(), clientsFile);
		RSAKey key;
		try {
			key = signingKey.join();
		} catch (CompletionException e) {
			// The key file's own error (unreadable, not a key), not the thread's wrapper.
			throw e.getCause() instanceof RuntimeException cause ? cause : e;
		}
		return new EmbeddedAuthorizationServer(new InMemoryRegisteredClientRepository(registered), key, clientsFile);
	}

	static RegisteredClient registeredClient(EmbeddedClients.Client client, PasswordEncoder encoder,
			SecurityProperties.Embedded settings) {
		return RegisteredClient.withId(UUID.nameUUIDFromBytes(client.clientId().getBytes()).toString())
				.clientId(client.clientId())
				.clientSecret(encoder.encode(client.clientSecret()))
				.clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
				.clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_POST)
				.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
				.scopes(s -> s.addAll(Arrays.asList(client.scopes().split(" "))))
				.tokenSettings(TokenSettings.builder().accessTokenTimeToLive(settings.tokenTtl()).build())
				.build();
	}

	/**
	 * Access tokens name the client ({@code client_id}, RFC 9068) and carry SMART scopes. A request
	 * without a {@code scope} parameter gets the client's whole role, so a plain
	 * {@code grant_type=client_credentials} is enough; a request naming scopes gets just those.
	 */
	public static void customizeToken(JwtEncodingContext context) {
		if (!OAuth2TokenType.ACCESS_TOKEN.equals(context.getTokenType())) {
			return;
		}
		context.getClaims().claim("client_id", context.getRegisteredClient().getClientId());
		if (context.getAuthorizedScopes().isEmpty()) {
			context.getClaims().claim("scope", new ArrayList<>(context.getRegisteredClient().getScopes()));
		}
	}

	public RegisteredClientRepository registeredClients() {
		return registeredClients;
	}

	public RSAKey signingKey() {
		return signingKey;
	}

	/** Where the clients and their secrets are kept. */
	public Path clientsFile() {
		return clientsFile;
	}
}
