package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * The SMART discovery document's client authentication: what the embedded authorization server does, or
 * what {@code token-endpoint-auth-methods} says an external identity provider does.
 */
class SmartConfigurationTest {

	@Test
	void theEmbeddedServer_advertisesSecretsAndSignedJwts() {
		SecurityProperties properties = bind(Map.of());
		Map<String, Object> doc = document(properties);
		assertThat(doc.get("token_endpoint_auth_methods_supported"))
				.isEqualTo(List.of("client_secret_basic", "client_secret_post", "private_key_jwt"));
		assertThat(doc.get("token_endpoint_auth_signing_alg_values_supported")).isEqualTo(List.of("RS384", "ES384"));
		assertThat(doc.get("capabilities")).isEqualTo(
				List.of("client-confidential-symmetric", "client-confidential-asymmetric", "permission-v2"));
		assertThat(SmartConfiguration.securityDescription(SmartConfiguration.authMethods(properties)))
				.contains("client_secret_basic", "private_key_jwt, RS384 or ES384");
	}

	@Test
	void anExternalProvider_claimsOnlyWhatItIsSaidToDo() {
		SecurityProperties secrets = bind(Map.of("bonemarrow.security.issuer-uri", "https://login.example/realms/x",
				// the embedded server's backend clients are not the external provider's
				"bonemarrow.security.embedded.backend-clients.x.role", "lab"));
		Map<String, Object> doc = document(secrets);
		assertThat(doc.get("token_endpoint_auth_methods_supported"))
				.isEqualTo(List.of("client_secret_basic", "client_secret_post"));
		assertThat(doc).doesNotContainKey("token_endpoint_auth_signing_alg_values_supported");
		assertThat(doc.get("capabilities")).isEqualTo(List.of("client-confidential-symmetric", "permission-v2"));
		assertThat(SmartConfiguration.securityDescription(SmartConfiguration.authMethods(secrets)))
				.doesNotContain("private_key_jwt");

		SecurityProperties keys = bind(Map.of("bonemarrow.security.jwk-set-uri", "https://login.example/certs",
				"bonemarrow.security.token-endpoint-auth-methods", "private_key_jwt"));
		Map<String, Object> asymmetric = document(keys);
		assertThat(asymmetric.get("token_endpoint_auth_methods_supported")).isEqualTo(List.of("private_key_jwt"));
		assertThat(asymmetric.get("capabilities")).isEqualTo(List.of("client-confidential-asymmetric", "permission-v2"));
	}

	@Test
	void anUnknownMethod_isRefused() {
		assertThatThrownBy(() -> bind(Map.of("bonemarrow.security.token-endpoint-auth-methods", "client_secret_jwt")))
				.isInstanceOf(BindException.class).getRootCause()
				.hasMessageContaining("'client_secret_jwt' is not one of [client_secret_basic, client_secret_post, private_key_jwt]");
	}

	private static Map<String, Object> document(SecurityProperties properties) {
		return SmartConfiguration.document("https://fhir.example/oauth2/token", properties.issuerUri(),
				new ClientRoles(properties), SmartConfiguration.authMethods(properties));
	}

	private static SecurityProperties bind(Map<String, String> settings) {
		Map<String, String> all = new HashMap<>(settings);
		all.put("bonemarrow.security.roles.lab", "system/Task.rus");
		return new Binder(new MapConfigurationPropertySource(all)).bindOrCreate("bonemarrow.security", SecurityProperties.class);
	}
}
