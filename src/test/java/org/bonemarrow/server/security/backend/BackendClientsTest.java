package org.bonemarrow.server.security.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bonemarrow.server.security.ClientRoles;
import org.bonemarrow.server.security.SecurityProperties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * {@code bonemarrow.security.embedded.backend-clients}: bound from properties as an administrator writes
 * them, and refused at start-up, with the setting named, when a server could never verify the client's
 * assertions or would hold something secret.
 */
class BackendClientsTest {

	private static final String AT = "bonemarrow.security.embedded.backend-clients.";
	private static RSAKey rsa;
	private static ECKey ec;

	@BeforeAll
	static void keys() throws Exception {
		rsa = new RSAKeyGenerator(2048).keyID("rs").generate();
		ec = new ECKeyGenerator(Curve.P_384).keyID("ec").generate();
	}

	@Test
	void inlineKeysAndAUrl_areRegisteredWithTheirRolesScopes() {
		List<BackendClients.Client> clients = check(Map.of(
				AT + "acme-lis.role", "lab",
				AT + "acme-lis.jwks-url", "https://lis.acme.example/jwks.json",
				AT + "ward-ehr.role", "ehr",
				AT + "ward-ehr.jwks", new JWKSet(List.of(rsa, ec)).toString(true)));
		assertThat(clients).extracting(BackendClients.Client::clientId).containsExactly("acme-lis", "ward-ehr");
		assertThat(clients.get(0).jwksUrl()).hasToString("https://lis.acme.example/jwks.json");
		assertThat(clients.get(0).scopes()).isEqualTo("system/Task.rus");
		assertThat(clients.get(1).keys().getKeys()).hasSize(2).noneMatch(k -> k.isPrivate());
		assertThat(clients.get(1).scopes()).isEqualTo("system/Patient.cru");
	}

	@Test
	void aKeyFile_isRead(@TempDir Path dir) throws Exception {
		Path file = dir.resolve("jwks.json");
		Files.writeString(file, new JWKSet(ec).toString(true));
		assertThat(check(Map.of(AT + "x.role", "lab", AT + "x.jwks-file", file.toString())).get(0).keys().getKeys())
				.hasSize(1);
		refused(Map.of(AT + "x.role", "lab", AT + "x.jwks-file", dir.resolve("missing.json").toString()),
				AT + "x.jwks-file: cannot read");
	}

	@Test
	void anUnknownOrMissingRole_isRefused() {
		refused(Map.of(AT + "x.role", "pharmacy", AT + "x.jwks-url", "https://a.example/jwks"),
				AT + "x.role: 'pharmacy' is not a configured role");
		refused(Map.of(AT + "x.jwks-url", "https://a.example/jwks"), AT + "x.role is required");
	}

	@Test
	void exactlyOneKeySource() {
		refused(Map.of(AT + "x.role", "lab"), "exactly one of jwks-url, jwks and jwks-file (found 0)");
		refused(Map.of(AT + "x.role", "lab", AT + "x.jwks-url", "https://a.example/jwks",
				AT + "x.jwks", new JWKSet(rsa).toString(true)), "exactly one of jwks-url, jwks and jwks-file (found 2)");
	}

	@Test
	void privateOrSymmetricKeyMaterial_isRefused() throws Exception {
		refused(Map.of(AT + "x.role", "lab", AT + "x.jwks", new JWKSet(rsa).toString(false)),
				"key 'rs' holds private key material");
		refused(Map.of(AT + "x.role", "lab", AT + "x.jwks", new JWKSet(List.of(rsa.toPublicJWK(), ec)).toString(false)),
				"key 'ec' holds private key material");
		OctetSequenceKey secret = new OctetSequenceKeyGenerator(256).keyID("hs").generate();
		refused(Map.of(AT + "x.role", "lab", AT + "x.jwks", new JWKSet(secret).toString(false)),
				"key 'hs' holds private key material");
	}

	@Test
	void keysThatCouldNeverVerifyRs384OrEs384_areRefused() throws Exception {
		ECKey p256 = new ECKeyGenerator(Curve.P_256).keyID("p256").generate();
		refused(Map.of(AT + "x.role", "lab", AT + "x.jwks", new JWKSet(p256).toString(true)), "ES384 needs P-384");
		java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
		generator.initialize(1024);
		RSAKey weak = new RSAKey.Builder((java.security.interfaces.RSAPublicKey) generator.generateKeyPair().getPublic())
				.keyID("weak").build();
		refused(Map.of(AT + "x.role", "lab", AT + "x.jwks", new JWKSet(weak).toString(true)), "1024 bits; at least 2048");
		refused(Map.of(AT + "x.role", "lab", AT + "x.jwks", "{\"keys\":[]}"), "no keys");
		refused(Map.of(AT + "x.role", "lab", AT + "x.jwks", "not json"), AT + "x.jwks: not a JWK set");
	}

	@Test
	void theJwksUrlIsHttps_plainHttpOnlyOnLoopback() {
		refused(Map.of(AT + "x.role", "lab", AT + "x.jwks-url", "http://lis.acme.example/jwks.json"),
				"must be an https URL");
		refused(Map.of(AT + "x.role", "lab", AT + "x.jwks-url", "file:///etc/passwd"), "must be an https URL");
		assertThat(check(Map.of(AT + "x.role", "lab", AT + "x.jwks-url", "http://127.0.0.1:8081/jwks")).get(0).jwksUrl())
				.hasToString("http://127.0.0.1:8081/jwks");
	}

	@Test
	void aSharedSecretClientsId_cannotBeReused() {
		refused(Map.of(AT + "lab.role", "lab", AT + "lab.jwks-url", "https://a.example/jwks"),
				"'lab' is already a shared-secret client");
	}

	private static List<BackendClients.Client> check(Map<String, String> backendClients) {
		Map<String, String> all = new HashMap<>(backendClients);
		all.put("bonemarrow.security.roles.lab", "system/Task.rus");
		all.put("bonemarrow.security.roles.ehr", "system/Patient.cru");
		SecurityProperties properties = new Binder(new MapConfigurationPropertySource(all))
				.bindOrCreate("bonemarrow.security", SecurityProperties.class);
		return BackendClients.check(properties.embedded().backendClients(), new ClientRoles(properties),
				properties.embedded().clients());
	}

	private static void refused(Map<String, String> backendClients, String message) {
		assertThatThrownBy(() -> check(backendClients)).isInstanceOf(IllegalStateException.class)
				.hasMessageContaining(message);
	}
}
