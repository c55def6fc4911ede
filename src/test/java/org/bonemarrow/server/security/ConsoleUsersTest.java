package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UsernameNotFoundException;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;

class ConsoleUsersTest {

	private static final Set<String> ROLES = Set.of("lab-manager", "integration-engineer", "auditor");
	private static final ObjectMapper JSON = new ObjectMapper();

	@TempDir
	Path folder;

	@Test
	void firstStartMakesOwnerOnlyRandomPasswordsAndLaterStartsKeepThem() throws Exception {
		ConsoleUsers.open(folder, users("lab-manager", List.of("lab-manager"), "auditor", List.of("auditor")), ROLES);
		Path file = folder.resolve(ConsoleUsers.FILE_NAME);
		assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
		String first = password(file, "lab-manager");
		assertThat(first).hasSizeGreaterThanOrEqualTo(20).isNotEqualTo(password(file, "auditor"));

		// A user added later gets a password; the existing one keeps its own; roles follow the configuration.
		ConsoleUsers again = ConsoleUsers.open(folder, users("lab-manager", List.of("lab-manager", "auditor"),
				"auditor", List.of("auditor"), "eve", List.of("integration-engineer")), ROLES);
		assertThat(password(file, "lab-manager")).isEqualTo(first);
		assertThat(password(file, "eve")).isNotBlank();
		UserDetails manager = again.userDetailsService().loadUserByUsername("lab-manager");
		assertThat(ConsoleUsers.rolesOf(manager.getAuthorities())).containsExactlyInAnyOrder("lab-manager", "auditor");
		assertThat(PasswordEncoderFactories.createDelegatingPasswordEncoder().matches(first, manager.getPassword())).isTrue();
	}

	@Test
	void aUserNoLongerConfiguredCannotSignIn() {
		ConsoleUsers.open(folder, users("lab-manager", List.of("lab-manager"), "auditor", List.of("auditor")), ROLES);
		ConsoleUsers later = ConsoleUsers.open(folder, users("auditor", List.of("auditor")), ROLES);
		assertThatThrownBy(() -> later.userDetailsService().loadUserByUsername("lab-manager"))
				.isInstanceOf(UsernameNotFoundException.class);
	}

	@Test
	void anUnknownRoleStopsStartUpNamingTheSetting() {
		assertThatThrownBy(() -> ConsoleUsers.open(folder, users("bob", List.of("admin")), ROLES))
				.hasMessageContaining("bonemarrow.console.users.bob").hasMessageContaining("'admin'");
	}

	private static Map<String, List<String>> users(Object... pairs) {
		Map<String, List<String>> users = new LinkedHashMap<>();
		for (int i = 0; i < pairs.length; i += 2) {
			@SuppressWarnings("unchecked")
			List<String> roles = (List<String>) pairs[i + 1];
			users.put((String) pairs[i], roles);
		}
		return users;
	}

	private static String password(Path file, String user) throws Exception {
		for (JsonNode u : JSON.readTree(file.toFile()).get("users")) {
			if (user.equals(u.get("username").asText())) {
				return u.get("password").asText();
			}
		}
		throw new AssertionError("no " + user);
	}
}
