package org.bonemarrow.server.console.signin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.bonemarrow.server.console.ConsoleRole;
import org.junit.jupiter.api.Test;

/** An OpenID provider's roles claim, in the shapes providers send it. */
class ConsoleRolesFromIdTokenTest {

	@Test
	void aListOfRoleNames() {
		assertThat(ConsoleRolesFromIdToken.rolesOf(List.of("auditor", "lab-manager", "auditor")))
				.containsExactly(ConsoleRole.AUDITOR, ConsoleRole.LAB_MANAGER);
	}

	@Test
	void aSpaceSeparatedString() {
		assertThat(ConsoleRolesFromIdToken.rolesOf("integration-engineer  lab-manager"))
				.containsExactly(ConsoleRole.INTEGRATION_ENGINEER, ConsoleRole.LAB_MANAGER);
	}

	@Test
	void unknownValuesAndMissingClaimGiveNoRole() {
		assertThat(ConsoleRolesFromIdToken.rolesOf(List.of("admin", "LAB_MANAGER"))).isEmpty();
		assertThat(ConsoleRolesFromIdToken.rolesOf(null)).isEmpty();
		assertThat(ConsoleRolesFromIdToken.rolesOf(42)).isEmpty();
	}
}
