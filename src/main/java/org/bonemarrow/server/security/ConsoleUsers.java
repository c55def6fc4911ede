package org.bonemarrow.server.security;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.core.userdetails.UsernameNotFoundException;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;

/**
 * The people who sign in to the console through the embedded authorization server, kept in
 * {@code <data-dir>/security/console-users.json} (owner-only) like the API clients: passwords are random on
 * first start, never in the repository, and printed once, when they are made, so whoever started the
 * server can sign in. A user added to the configuration later gets a password on the next start;
 * existing passwords are kept, and a user's roles follow the configuration.
 *
 * <p>The authorization server's own session only knows "this person signed in with these roles"
 * ({@link #ROLE_AUTHORITY_PREFIX}); the console learns the roles from the ID token it is issued
 * (claim {@link #ROLES_CLAIM}), exactly as from an external OpenID provider.
 */
public final class ConsoleUsers {

	public static final String FILE_NAME = "console-users.json";
	/** Authorities of a signed-in person at the authorization server: one per console role. */
	public static final String ROLE_AUTHORITY_PREFIX = "CONSOLE_ROLE_";
	/** The ID token claim that lists a console user's roles. */
	public static final String ROLES_CLAIM = "roles";

	private static final Logger log = LoggerFactory.getLogger(ConsoleUsers.class);
	private static final ObjectMapper JSON = new ObjectMapper()
			.enable(SerializationFeature.INDENT_OUTPUT)
			.setSerializationInclusion(JsonInclude.Include.NON_NULL);
	private static final SecureRandom RANDOM = new SecureRandom();

	/** One user as written to the file. */
	record Entry(String username, String password, List<String> roles) {}

	/** The file's shape: a note for the human who opens it, then the users. */
	record UsersFile(String note, String signIn, List<Entry> users) {}

	private final Map<String, UserDetails> users;
	private final Path file;

	private ConsoleUsers(Map<String, UserDetails> users, Path file) {
		this.users = users;
		this.file = file;
	}

	/**
	 * Loads the file, adds every configured user that has none, and writes it back if it changed.
	 *
	 * @param configured user name to its roles, in the configuration's order
	 * @param knownRoles the console's role names; any other is a configuration error, named at start-up
	 */
	public static ConsoleUsers open(Path folder, Map<String, List<String>> configured, Set<String> knownRoles) {
		Path file = folder.resolve(FILE_NAME).toAbsolutePath().normalize();
		Map<String, Entry> stored = new LinkedHashMap<>();
		read(file).forEach(e -> stored.put(e.username(), e));
		List<Entry> entries = new ArrayList<>();
		List<Entry> created = new ArrayList<>();
		boolean changed = false;
		for (Map.Entry<String, List<String>> user : configured.entrySet()) {
			for (String role : user.getValue()) {
				if (!knownRoles.contains(role)) {
					throw new IllegalStateException("bonemarrow.console.users." + user.getKey() + " names role '" + role
							+ "'; console roles are " + knownRoles);
				}
			}
			Entry existing = stored.get(user.getKey());
			Entry entry = new Entry(user.getKey(), existing == null ? newPassword() : existing.password(),
					List.copyOf(user.getValue()));
			if (existing == null) {
				created.add(entry);
			}
			changed |= !entry.equals(existing);
			entries.add(entry);
		}
		changed |= entries.size() != stored.size();
		if (changed) {
			SecretFiles.write(file, json(entries));
		}
		if (!created.isEmpty()) {
			// Printed once, when made (as Jenkins prints its first password): the person who started the
			// server signs in with these. Later starts only say where the file is.
			StringBuilder banner = new StringBuilder("Console users created; sign in at /console (also in " + file + "):");
			created.forEach(e -> banner.append("\n    ").append(e.username()).append(" / ").append(e.password())
					.append("   roles ").append(e.roles()));
			log.warn(banner.toString());
		} else if (!entries.isEmpty()) {
			log.info("Console users {}: passwords are in {}", entries.stream().map(Entry::username).toList(), file);
		}
		PasswordEncoder encoder = PasswordEncoderFactories.createDelegatingPasswordEncoder();
		Map<String, UserDetails> users = new LinkedHashMap<>();
		for (Entry e : entries) {
			users.put(e.username(), User.withUsername(e.username())
					.password(encoder.encode(e.password()))
					.authorities(e.roles().stream().map(r -> ROLE_AUTHORITY_PREFIX + r).toArray(String[]::new))
					.build());
		}
		return new ConsoleUsers(users, file);
	}

	public UserDetailsService userDetailsService() {
		return username -> {
			UserDetails user = users.get(username);
			if (user == null) {
				throw new UsernameNotFoundException("no such console user");
			}
			// A copy: the authentication manager erases credentials on the object it is given.
			return User.withUserDetails(user).build();
		};
	}

	public Path file() {
		return file;
	}

	/** The console roles of a person signed in at the authorization server (for the ID token). */
	public static List<String> rolesOf(Authentication signedIn) {
		return rolesOf(signedIn.getAuthorities());
	}

	static List<String> rolesOf(Collection<? extends GrantedAuthority> authorities) {
		return authorities.stream().map(GrantedAuthority::getAuthority)
				.filter(a -> a.startsWith(ROLE_AUTHORITY_PREFIX))
				.map(a -> a.substring(ROLE_AUTHORITY_PREFIX.length()))
				.toList();
	}

	private static String json(List<Entry> entries) {
		try {
			return JSON.writeValueAsString(new UsersFile(
					"People who may sign in to the console (/console). Keep secret. Roles: lab-manager, "
							+ "integration-engineer, auditor; change them in bonemarrow.console.users.",
					"/console", entries));
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	private static List<Entry> read(Path file) {
		if (!Files.exists(file)) {
			return List.of();
		}
		try {
			UsersFile parsed = JSON.readValue(file.toFile(), UsersFile.class);
			return parsed.users() == null ? List.of() : parsed.users();
		} catch (IOException e) {
			throw new UncheckedIOException("Cannot read " + file, e);
		}
	}

	private static String newPassword() {
		byte[] bytes = new byte[15];
		RANDOM.nextBytes(bytes);
		return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
	}
}
