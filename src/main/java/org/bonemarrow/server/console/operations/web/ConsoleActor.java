package org.bonemarrow.server.console.operations.web;

import java.util.List;
import java.util.Locale;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;

/**
 * Who pressed the button, for the audit trail: the signed-in user's name and console roles ({@code ROLE_AUDITOR}
 * -> {@code auditor}, {@code ROLE_INTEGRATION_ENGINEER} -> {@code integration-engineer}).
 */
record ConsoleActor(String name, List<String> roles) {

	static ConsoleActor of(Authentication authentication) {
		if (authentication == null) {
			return new ConsoleActor(null, List.of());
		}
		List<String> roles = authentication.getAuthorities().stream().map(GrantedAuthority::getAuthority)
				.filter(a -> a != null && a.startsWith("ROLE_"))
				.map(a -> a.substring("ROLE_".length()).toLowerCase(Locale.ROOT).replace('_', '-')).sorted().toList();
		return new ConsoleActor(authentication.getName(), roles);
	}
}
