package org.bonemarrow.server.console;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code bonemarrow.console.*}: the web console at {@code /console} (application.yaml says what each
 * setting allows).
 */
@ConfigurationProperties("bonemarrow.console")
public record ConsoleProperties(
		@DefaultValue("true") boolean enabled,
		@DefaultValue SignIn signIn,
		Map<String, List<String>> users) {

	public ConsoleProperties {
		if (users == null || users.isEmpty()) {
			users = new LinkedHashMap<>();
			for (ConsoleRole role : ConsoleRole.values()) {
				users.put(role.id(), List.of(role.id()));
			}
		}
	}

	/**
	 * @param provider     embedded (this server's authorization server and console users) | external
	 * @param issuerUri    external: the OpenID provider's issuer (its discovery document is read at the
	 *                     first sign-in, so the server starts while the provider is unreachable)
	 * @param clientId     external: the console's client id at that provider
	 * @param clientSecret external: its secret; empty for a public client (PKCE only)
	 * @param rolesClaim   the ID token claim listing console roles (lab-manager, integration-engineer,
	 *                     auditor)
	 * @param redirectUris embedded: the console's redirect URIs as browsers reach it through a proxy
	 *                     (https://fhir.hospital.example/console/oauth2/code/console); localhost and
	 *                     127.0.0.1 on any port are always accepted
	 */
	public record SignIn(
			@DefaultValue("embedded") String provider,
			@DefaultValue("") String issuerUri,
			@DefaultValue("") String clientId,
			@DefaultValue("") String clientSecret,
			@DefaultValue("roles") String rolesClaim,
			@DefaultValue({}) Set<String> redirectUris) {

		public SignIn {
			if (!"embedded".equals(provider) && !"external".equals(provider)) {
				throw new IllegalArgumentException("bonemarrow.console.sign-in.provider must be embedded or external, not '"
						+ provider + "'");
			}
			if ("external".equals(provider) && (issuerUri.isBlank() || clientId.isBlank())) {
				throw new IllegalArgumentException("bonemarrow.console.sign-in.provider=external needs issuer-uri and "
						+ "client-id");
			}
		}

		public boolean external() {
			return "external".equals(provider);
		}
	}
}
