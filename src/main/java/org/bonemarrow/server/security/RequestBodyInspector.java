package org.bonemarrow.server.security;

import java.io.StringReader;
import java.nio.charset.Charset;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Checks what a request carries before any parser sees it: the content type is one the endpoint reads,
 * XML carries no DOCTYPE (external entities, XXE, and entity expansion need one), JSON and XML are not
 * nested deeper than a FHIR resource ever is, no NUL character (PostgreSQL cannot store one in text), and
 * no number whose expansion would exhaust memory ({@code 1e999999999} is eleven characters, but a
 * BigDecimal written out in full is a gigabyte). The same number rule applies to search parameters.
 * Pure: returns the reason a request is refused, or empty.
 */
public final class RequestBodyInspector {

	/** A refusal: HTTP status and a message for the OperationOutcome. */
	public record Refusal(int status, String message) {}

	/**
	 * Largest decimal exponent accepted, either sign. FHIR decimals are at most 18 digits in practice and
	 * no measured quantity needs 10^1000; the bound only keeps BigDecimal arithmetic (scale, plain string,
	 * database index) from expanding a number into memory.
	 */
	public static final int MAX_EXPONENT = 1000;
	/**
	 * Most significant digits of a decimal (in a body or a search value). The official R4 example
	 * Observation-decimal carries 246 to show that precision is kept; only far beyond that does parsing one
	 * number become a cost of its own.
	 */
	public static final int MAX_SIGNIFICANT_DIGITS = 1000;
	/**
	 * Most digits of a digits-only string value (an identifier, or a decimal written without point or
	 * exponent). Far above any identifier; it stops a megabyte of digits from being parsed as one decimal.
	 */
	public static final int MAX_INTEGER_DIGITS = 1000;

	/** FHIR bodies, JSON Patch and XML Patch (RFC 6902, RFC 5261; the latter is inspected like any XML body). */
	static final Set<String> FHIR_TYPES = Set.of("application/fhir+json", "application/json", "application/fhir+xml",
			"application/xml", "text/xml", "application/json-patch+json", "application/xml-patch+xml",
			"application/x-www-form-urlencoded");
	static final Set<String> V2_TYPES = Set.of("x-application/hl7-v2+er7", "application/hl7-v2", "text/plain");

	private static final Pattern DOCTYPE = Pattern.compile("<!(DOCTYPE|ENTITY)", Pattern.CASE_INSENSITIVE);
	private static final Pattern XML_NUL_REFERENCE = Pattern.compile("&#(0+|[xX]0+);");
	/** Separators inside a search value: OR lists, token and quantity parts, composite parts. */
	private static final Pattern SEARCH_VALUE_PARTS = Pattern.compile("[,|$]");
	/** Separators of an ER7 message (the standard encoding characters) and its segments. */
	private static final Pattern ER7_PARTS = Pattern.compile("[|^~&\\\\\r\n]");
	private static final Set<String> SEARCH_PREFIXES = Set.of("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap");

	private static final XMLInputFactory XML = xmlInputFactory();

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
				+ " here; send one of " + String.join(", ", new TreeSet<>(accepted)) + "."));
	}

	/**
	 * @param body     the body as the parser will read it (already inflated when it was sent compressed)
	 * @param maxDepth deepest nesting of JSON objects and arrays, or of XML elements
	 */
	public static Optional<Refusal> body(byte[] body, String contentType, int maxDepth) {
		String media = mediaType(contentType);
		// Decoded as the parsers decode it (the content type's charset, UTF-8 by default), so that a NUL is
		// found as the character the parser would store, whatever the charset.
		String text = new String(body, charset(contentType));
		if (text.indexOf('\u0000') >= 0) {
			return Optional.of(nul("the body"));
		}
		if (media.endsWith("xml")) {
			return xml(text, maxDepth);
		}
		if (media.endsWith("json")) {
			return json(text, maxDepth);
		}
		if (V2_TYPES.contains(media)) {
			return numbersIn(ER7_PARTS.split(text), "the message");
		}
		return Optional.empty();
	}

	/** Search parameters (query string, or the form body of POST _search): out-of-range numbers, NUL. */
	public static Optional<Refusal> parameters(Map<String, String[]> parameters) {
		for (Map.Entry<String, String[]> parameter : parameters.entrySet()) {
			if (parameter.getKey().indexOf('\u0000') >= 0) {
				return Optional.of(nul("a search parameter name"));
			}
			for (String value : parameter.getValue()) {
				if (value.indexOf('\u0000') >= 0) {
					return Optional.of(nul("the search parameter " + printable(parameter.getKey())));
				}
				for (String part : SEARCH_VALUE_PARTS.split(value)) {
					String number = part.length() > 2 && SEARCH_PREFIXES.contains(part.substring(0, 2)) ? part.substring(2) : part;
					Optional<String> reason = outOfRange(number, 0, number.length(), true);
					if (reason.isPresent()) {
						return Optional.of(new Refusal(400, "The search parameter " + printable(parameter.getKey()) + " has "
								+ reason.get() + "."));
					}
				}
			}
		}
		return Optional.empty();
	}

	private static Optional<Refusal> xml(String text, int maxDepth) {
		if (DOCTYPE.matcher(text).find()) {
			return Optional.of(new Refusal(400,
					"XML with a DOCTYPE declaration is not accepted (external entities are never resolved)."));
		}
		if (XML_NUL_REFERENCE.matcher(text).find()) {
			return Optional.of(nul("the body"));
		}
		// Streaming: the depth is known at each start tag, without building a tree of the hostile document.
		XMLStreamReader reader = null;
		try {
			reader = XML.createXMLStreamReader(new StringReader(text));
			int depth = 0;
			while (reader.hasNext()) {
				int event = reader.next();
				if (event == XMLStreamConstants.START_ELEMENT) {
					if (++depth > maxDepth) {
						return Optional.of(tooDeep("XML", maxDepth));
					}
					for (int i = 0; i < reader.getAttributeCount(); i++) {
						String value = reader.getAttributeValue(i);
						Optional<String> reason = outOfRange(value, 0, value.length(), true);
						if (reason.isPresent()) {
							return Optional.of(numberRefusal(reason.get(), "the body"));
						}
					}
				} else if (event == XMLStreamConstants.END_ELEMENT) {
					depth--;
				}
			}
		} catch (XMLStreamException malformed) {
			// Not well-formed from here on: HAPI's parser refuses it with its own 400. The part read so far
			// was within the limits.
		} finally {
			close(reader);
		}
		return Optional.empty();
	}

	/**
	 * One pass over JSON text: nesting depth (brackets inside strings do not count), NUL escapes, number
	 * tokens, and strings that hold a number (a lenient parser reads {@code "1e999999999"} as a decimal).
	 */
	static Optional<Refusal> json(String text, int maxDepth) {
		int depth = 0;
		int n = text.length();
		int i = 0;
		while (i < n) {
			char c = text.charAt(i);
			if (c == '"') {
				int start = ++i;
				boolean escaped = false;
				while (i < n && text.charAt(i) != '"') {
					if (text.charAt(i) == '\\') {
						if (text.startsWith("u0000", i + 1)) {
							return Optional.of(nul("the body"));
						}
						escaped = true;
						i++;
					}
					i++;
				}
				if (!escaped) {
					Optional<String> reason = outOfRange(text, start, Math.min(i, n), true);
					if (reason.isPresent()) {
						return Optional.of(numberRefusal(reason.get(), "the body"));
					}
				}
				i++;
			} else if (c == '-' || (c >= '0' && c <= '9')) {
				int start = i;
				while (i < n && isNumberChar(text.charAt(i))) {
					i++;
				}
				Optional<String> reason = outOfRange(text, start, i, false);
				if (reason.isPresent()) {
					return Optional.of(numberRefusal(reason.get(), "the body"));
				}
			} else {
				if (c == '{' || c == '[') {
					if (++depth > maxDepth) {
						return Optional.of(tooDeep("JSON", maxDepth));
					}
				} else if (c == '}' || c == ']') {
					depth--;
				}
				i++;
			}
		}
		return Optional.empty();
	}

	/**
	 * Why {@code text[from, to)} is a number out of range, or empty when it is in range or not a number at
	 * all. A string (rather than a JSON number token) made of digits only is refused only when absurdly long:
	 * identifiers are digits too.
	 */
	static Optional<String> outOfRange(CharSequence text, int from, int to, boolean isString) {
		int i = from;
		if (i < to && (text.charAt(i) == '-' || text.charAt(i) == '+')) {
			i++;
		}
		int significant = 0;
		int digits = 0;
		boolean point = false;
		for (; i < to; i++) {
			char c = text.charAt(i);
			if (c >= '0' && c <= '9') {
				digits++;
				if (significant > 0 || c != '0') {
					significant++;
				}
			} else if (c == '.' && !point) {
				point = true;
			} else {
				break;
			}
		}
		if (digits == 0) {
			return Optional.empty();
		}
		boolean exponent = i < to && (text.charAt(i) == 'e' || text.charAt(i) == 'E');
		long exponentValue = 0;
		if (exponent) {
			i++;
			if (i < to && (text.charAt(i) == '-' || text.charAt(i) == '+')) {
				i++;
			}
			int exponentDigits = 0;
			for (; i < to && text.charAt(i) >= '0' && text.charAt(i) <= '9'; i++) {
				exponentDigits++;
				// Saturates: the value only has to be known to exceed the bound.
				exponentValue = Math.min(exponentValue * 10 + (text.charAt(i) - '0'), Integer.MAX_VALUE);
			}
			if (exponentDigits == 0) {
				return Optional.empty();
			}
		}
		if (i != to) {
			return Optional.empty();
		}
		if (exponentValue > MAX_EXPONENT) {
			return Optional.of("a number with an exponent of " + exponentValue + " (the limit is " + MAX_EXPONENT
					+ " either way)");
		}
		if (isString && !point && !exponent) {
			return digits > MAX_INTEGER_DIGITS
					? Optional.of("a value of " + digits + " digits (the limit is " + MAX_INTEGER_DIGITS + ")")
					: Optional.empty();
		}
		if (significant > MAX_SIGNIFICANT_DIGITS) {
			return Optional.of("a number with " + significant + " significant digits (the limit is "
					+ MAX_SIGNIFICANT_DIGITS + ")");
		}
		return Optional.empty();
	}

	private static Optional<Refusal> numbersIn(String[] values, String where) {
		for (String value : values) {
			Optional<String> reason = outOfRange(value, 0, value.length(), true);
			if (reason.isPresent()) {
				return Optional.of(numberRefusal(reason.get(), where));
			}
		}
		return Optional.empty();
	}

	private static boolean isNumberChar(char c) {
		return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
	}

	private static Refusal numberRefusal(String reason, String where) {
		return new Refusal(400, capitalized(where) + " has " + reason + ".");
	}

	private static Refusal tooDeep(String format, int maxDepth) {
		return new Refusal(400, format + " nested more than " + maxDepth + " levels deep; the limit is " + maxDepth
				+ " (bonemarrow.security.limits.max-depth).");
	}

	private static Refusal nul(String where) {
		return new Refusal(400, capitalized(where) + " contains a NUL character (U+0000), which is never valid FHIR "
				+ "or HL7 v2 content.");
	}

	/** A parameter name for a message: the client's own text, cut short and without control characters. */
	private static String printable(String name) {
		String shown = name.length() > 64 ? name.substring(0, 64) + "..." : name;
		return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
	}

	private static String capitalized(String s) {
		return Character.toUpperCase(s.charAt(0)) + s.substring(1);
	}

	private static Charset charset(String contentType) {
		if (contentType != null) {
			for (String parameter : contentType.split(";")) {
				String[] pair = parameter.trim().split("=", 2);
				if (pair.length == 2 && pair[0].trim().equalsIgnoreCase("charset")) {
					try {
						return Charset.forName(pair[1].trim().replace("\"", ""));
					} catch (IllegalCharsetNameException | UnsupportedCharsetException unknown) {
						return StandardCharsets.UTF_8;
					}
				}
			}
		}
		return StandardCharsets.UTF_8;
	}

	private static XMLInputFactory xmlInputFactory() {
		XMLInputFactory factory = XMLInputFactory.newFactory();
		factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
		factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
		return factory;
	}

	private static void close(XMLStreamReader reader) {
		if (reader != null) {
			try {
				reader.close();
			} catch (XMLStreamException ignored) {
				// Nothing to release: the reader reads a String.
			}
		}
	}
}
