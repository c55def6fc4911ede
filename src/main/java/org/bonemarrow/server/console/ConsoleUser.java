package org.bonemarrow.server.console;

import java.util.EnumSet;
import java.util.Set;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;

/** The person signed in to the console: a name to show and record in the audit trail, and their roles. */
public record ConsoleUser(String name, Set<ConsoleRole> roles) {

	public static ConsoleUser of(Authentication authentication) {
		Set<ConsoleRole> roles = EnumSet.noneOf(ConsoleRole.class);
		for (GrantedAuthority authority : authentication.getAuthorities()) {
			for (ConsoleRole role : ConsoleRole.values()) {
				if (role.authority().equals(authority.getAuthority())) {
					roles.add(role);
				}
			}
		}
		String name = authentication.getPrincipal() instanceof OidcUser oidc && oidc.getPreferredUsername() != null
				? oidc.getPreferredUsername() : authentication.getName();
		return new ConsoleUser(name, Set.copyOf(roles));
	}

	public boolean has(ConsoleRole role) {
		return roles.contains(role);
	}

	public boolean hasAny(ConsoleRole... any) {
		for (ConsoleRole role : any) {
			if (roles.contains(role)) {
				return true;
			}
		}
		return false;
	}
}
