package org.bonemarrow.server.security;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.springframework.stereotype.Component;

/** The configured roles ({@code bonemarrow.security.roles}) as parsed SMART scopes. */
@Component
public class ClientRoles {

	private final Map<String, String> scopesByRole;

	public ClientRoles(SecurityProperties properties) {
		Map<String, String> parsed = new TreeMap<>();
		properties.roles().forEach((role, scopes) -> {
			SmartScopes smart = SmartScopes.parse(scopes);
			if (smart.isEmpty()) {
				throw new IllegalStateException("bonemarrow.security.roles." + role + " grants no system scope");
			}
			parsed.put(role, smart.toString());
		});
		this.scopesByRole = Map.copyOf(parsed);
	}

	/** The role's scopes in normalised form ({@code system/Task.rus ...}), if the role exists. */
	public Optional<String> scopesOf(String role) {
		return Optional.ofNullable(scopesByRole.get(role));
	}

	public Map<String, String> all() {
		return scopesByRole;
	}
}
