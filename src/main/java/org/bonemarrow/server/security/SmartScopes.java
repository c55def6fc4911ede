package org.bonemarrow.server.security;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The SMART on FHIR system scopes a client was granted, read the way SMART App Launch 2.0 defines them
 * (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html): {@code system/<Type|*>.<cruds>}
 * with the v1 forms {@code .read} (= rs) and {@code .write} (= cud) and {@code .*} (= cruds) accepted too.
 * Patient- and user-level scopes are ignored: this server only issues and honours client-to-client access.
 *
 * <p>The wildcard type {@code *} deliberately does not reach {@link #PROTECTED_TYPES}: the audit trail is
 * readable only with a scope naming AuditEvent itself, so a read-everything integration client does not
 * see who looked at what.
 */
public final class SmartScopes {

	/** Interactions as SMART v2 letters: create, read, update, delete, search. */
	public static final String INTERACTIONS = "cruds";

	/** Types a wildcard scope does not cover. */
	public static final Set<String> PROTECTED_TYPES = Set.of("AuditEvent");

	private static final Pattern SYSTEM_SCOPE =
			Pattern.compile("system/(\\*|[A-Z][A-Za-z]{1,63})\\.(read|write|\\*|c?r?u?d?s?)");

	private static final SmartScopes NONE = new SmartScopes(Map.of());

	/** Resource type (or "*") to granted interaction letters. */
	private final Map<String, Set<Character>> grants;

	private SmartScopes(Map<String, Set<Character>> grants) {
		this.grants = grants;
	}

	public static SmartScopes none() {
		return NONE;
	}

	/** Parses space-separated scopes, as in an OAuth {@code scope} claim or configuration. */
	public static SmartScopes parse(String spaceSeparated) {
		return spaceSeparated == null || spaceSeparated.isBlank()
				? NONE
				: parse(java.util.Arrays.asList(spaceSeparated.trim().split("\\s+")));
	}

	/** Parses scope strings; anything that is not a well-formed system scope is ignored. */
	public static SmartScopes parse(Collection<String> scopes) {
		Map<String, Set<Character>> grants = new LinkedHashMap<>();
		for (String scope : scopes) {
			Matcher m = SYSTEM_SCOPE.matcher(scope == null ? "" : scope.trim());
			if (!m.matches() || m.group(2).isEmpty()) {
				continue;
			}
			Set<Character> letters = grants.computeIfAbsent(m.group(1), t -> new TreeSet<>());
			for (char c : letters(m.group(2)).toCharArray()) {
				letters.add(c);
			}
		}
		grants.replaceAll((type, letters) -> Collections.unmodifiableSet(letters));
		return new SmartScopes(Collections.unmodifiableMap(grants));
	}

	private static String letters(String permission) {
		return switch (permission) {
			case "read" -> "rs";
			case "write" -> "cud";
			case "*" -> INTERACTIONS;
			default -> permission;
		};
	}

	/**
	 * True when the scopes allow this interaction on this resource type.
	 *
	 * @param interaction one of {@code c r u d s}
	 */
	public boolean permits(String resourceType, char interaction) {
		char letter = Character.toLowerCase(interaction);
		if (INTERACTIONS.indexOf(letter) < 0) {
			throw new IllegalArgumentException("Not a SMART interaction: " + interaction);
		}
		if (grants.getOrDefault(resourceType, Set.of()).contains(letter)) {
			return true;
		}
		return !PROTECTED_TYPES.contains(resourceType) && grants.getOrDefault("*", Set.of()).contains(letter);
	}

	/**
	 * True when the scopes allow at least one of these interactions on the type, e.g.
	 * {@code permitsAny("Condition", "rs")}: whether a Condition may be shown at all.
	 */
	public boolean permitsAny(String resourceType, String interactions) {
		for (char letter : interactions.toCharArray()) {
			if (permits(resourceType, letter)) {
				return true;
			}
		}
		return false;
	}

	/** Types named explicitly (not through the wildcard) that allow this interaction. */
	public Set<String> typesPermitting(char interaction) {
		Set<String> types = new TreeSet<>();
		grants.forEach((type, letters) -> {
			if (!"*".equals(type) && letters.contains(Character.toLowerCase(interaction))) {
				types.add(type);
			}
		});
		return types;
	}

	/** True when the wildcard type grants this interaction (for every type but the protected ones). */
	public boolean wildcardPermits(char interaction) {
		return grants.getOrDefault("*", Set.of()).contains(Character.toLowerCase(interaction));
	}

	public boolean isEmpty() {
		return grants.isEmpty();
	}

	/** Normalised v2 form, e.g. {@code system/Task.rus system/*.rs}; stable for logs and tests. */
	@Override
	public String toString() {
		StringBuilder out = new StringBuilder();
		grants.forEach((type, letters) -> {
			StringBuilder l = new StringBuilder();
			for (char c : INTERACTIONS.toCharArray()) {
				if (letters.contains(c)) {
					l.append(c);
				}
			}
			out.append(out.length() == 0 ? "" : " ").append("system/").append(type).append('.').append(l);
		});
		return out.toString();
	}
}
