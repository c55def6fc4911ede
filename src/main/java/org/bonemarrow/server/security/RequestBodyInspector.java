package org.bonemarrow.server.security;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a request body before any parser sees it: the content type is one the endpoint reads, XML
 * carries no DOCTYPE (external entities, XXE, and entity expansion need one), and JSON is not nested
 * deeper than a FHIR resource ever is. Pure: returns the reason a body is refused, or empty.
 */
public final class RequestBodyInspector {

	/** A refusal: HTTP status and a message for the OperationOutcome. */
	public record Refusal(int status, String message) {}

	static final Set<String> FHIR_TYPES = Set.of("application/fhir+json", "application/json", "application/fhir+xml",
			"application/xml", "text/xml", "application/json-patch+json", "application/x-www-form-urlencoded");
	static final Set<String> V2_TYPES = Set.of("x-application/hl7-v2+er7", "application/hl7-v2", "text/plain");

	private RequestBodyInspector() {}

	/** Media type without parameters, lower case; empty string when absent. */
	public static String mediaType(String contentType) {
		if (contentType == null) {
			return "";
		}
		int semicolon = contentType.indexOf(';');
		return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
	}

	public static Optional<Refusal> contentType(String contentType, boolean v2Endpoint) {
		String media = mediaType(contentType);
		Set<String> accepted = v2Endpoint ? V2_TYPES : FHIR_TYPES;
		if (accepted.contains(media)) {
			return Optional.empty();
		}
		return Optional.of(new Refusal(415, (media.isEmpty() ? "No Content-Type" : "Content-Type '" + media + "' is not accepted")
				+ " here; send one of " + String.join(", ", new java.util.TreeSet<>(accepted)) + "."));
	}

	public static Optional<Refusal> body(byte[] body, String contentType, int maxJsonDepth) {
		String media = mediaType(contentType);
		if (media.endsWith("xml") && containsDoctype(body)) {
			return Optional.of(new Refusal(400,
					"XML with a DOCTYPE declaration is not accepted (external entities are never resolved)."));
		}
		if (media.endsWith("json")) {
			int depth = jsonDepth(body);
			if (depth > maxJsonDepth) {
				return Optional.of(new Refusal(400, "JSON nested " + depth + " levels deep; the limit is " + maxJsonDepth + "."));
			}
		}
		return Optional.empty();
	}

	static boolean containsDoctype(byte[] body) {
		String text = new String(body, StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
		return text.contains("<!DOCTYPE") || text.contains("<!ENTITY");
	}

	/** Deepest nesting of objects and arrays, ignoring brackets inside strings. Stops counting past 10,000. */
	static int jsonDepth(byte[] body) {
		int depth = 0;
		int deepest = 0;
		boolean inString = false;
		boolean escaped = false;
		for (byte b : body) {
			if (inString) {
				if (escaped) {
					escaped = false;
				} else if (b == '\\') {
					escaped = true;
				} else if (b == '"') {
					inString = false;
				}
				continue;
			}
			switch (b) {
				case '"' -> inString = true;
				case '{', '[' -> {
					depth++;
					deepest = Math.max(deepest, depth);
					if (deepest > 10_000) {
						return deepest;
					}
				}
				case '}', ']' -> depth--;
				default -> { }
			}
		}
		return deepest;
	}
}
