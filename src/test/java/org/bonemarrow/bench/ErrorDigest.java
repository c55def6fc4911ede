package org.bonemarrow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * A failed answer shortened to what shows a wrong setup (status, the OperationOutcome's issue codes and
 * diagnostics) without the posted data: a server's diagnostics can quote values of the request (an
 * identifier in a conditional URL, an element's text), so quoted strings and query values are masked.
 * The exams are synthetic, but the benchmark's output is pasted into documents: it follows the project's
 * rule that nothing printed carries patient data.
 */
final class ErrorDigest {

	private static final ObjectMapper JSON = new ObjectMapper();
	private static final int MAX_CHARS = 400;

	private ErrorDigest() {}

	static String of(int status, String text) {
		String head = status < 0 ? "no HTTP answer" : "HTTP " + status;
		if (text == null || text.isBlank()) {
			return head;
		}
		return head + ": " + shorten(mask(issues(text)));
	}

	/** "severity/code: diagnostics" per issue of an OperationOutcome; otherwise the text without markup. */
	private static String issues(String text) {
		try {
			JsonNode outcome = JSON.readTree(text);
			if (outcome != null && "OperationOutcome".equals(outcome.path("resourceType").asText())) {
				List<String> issues = new ArrayList<>();
				for (JsonNode i : outcome.path("issue")) {
					issues.add(i.path("severity").asText() + "/" + i.path("code").asText() + ": " + i.path("diagnostics").asText());
				}
				return String.join(" | ", issues);
			}
		} catch (Exception e) {
			// Not JSON (an HTML error page, a proxy's text): shown as text below.
		}
		return text.replaceAll("<[^>]*>", " ").replaceAll("\\s+", " ").trim();
	}

	/** Quoted strings and the values of query parameters, where request data appears in diagnostics. */
	static String mask(String s) {
		return s.replaceAll("\"[^\"]*\"", "\"…\"")
				.replaceAll("'[^']*'", "'…'")
				.replaceAll("=[^&\\s,;)\\]]+", "=…");
	}

	private static String shorten(String s) {
		return s.length() <= MAX_CHARS ? s : s.substring(0, MAX_CHARS) + "…";
	}
}
