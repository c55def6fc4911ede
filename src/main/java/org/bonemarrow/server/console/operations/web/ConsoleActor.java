package org.bonemarrow.server.console.operations.web;

import java.util.List;
import org.bonemarrow.server.console.ConsoleRole;
import org.bonemarrow.server.console.ConsoleUser;
import org.springframework.security.core.Authentication;

/** Who pressed the button, for the audit trail: the signed-in user's name and console role ids. */
record ConsoleActor(String name, List<String> roles) {

	static ConsoleActor of(Authentication authentication) {
		if (authentication == null) {
			return new ConsoleActor(null, List.of());
		}
		ConsoleUser user = ConsoleUser.of(authentication);
		return new ConsoleActor(user.name(), user.roles().stream().map(ConsoleRole::id).sorted().toList());
	}
}
