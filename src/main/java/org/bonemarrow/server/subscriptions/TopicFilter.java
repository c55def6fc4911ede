package org.bonemarrow.server.subscriptions;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;

/**
 * One {@code backport-filter-criteria} of a topic Subscription, in search syntax
 * ({@code DiagnosticReport?patient=Patient/123&status=final,amended}): each parameter must match (AND), any of
 * its comma-separated values may (OR), as in a FHIR search. Only the topic's {@code canFilterBy} parameters
 * are understood, without modifiers; anything else is refused when the Subscription is written, so a filter
 * never silently matches more than the subscriber asked for. Pure.
 *
 * @param resourceType the type before {@code ?}
 * @param params       parameter name to its accepted values
 */
public record TopicFilter(String resourceType, Map<String, List<String>> params) {

	/** The filter, or why it is refused (naming the filter). */
	public static Parsed parse(String criteria, Topic topic) {
		if (criteria == null || criteria.isBlank()) {
			return Parsed.refused("an empty filter criteria");
		}
		int q = criteria.indexOf('?');
		String type = q < 0 ? criteria : criteria.substring(0, q);
		if (!topic.resourceType().equals(type)) {
			return Parsed.refused("filter '" + criteria + "': the topic " + topic.url() + " is about " + topic.resourceType()
					+ ", so a filter starts with " + topic.resourceType() + "?");
		}
		Map<String, List<String>> params = new LinkedHashMap<>();
		String query = q < 0 ? "" : criteria.substring(q + 1);
		for (String pair : query.split("&")) {
			if (pair.isEmpty()) {
				continue;
			}
			int eq = pair.indexOf('=');
			String name = decode(eq < 0 ? pair : pair.substring(0, eq));
			String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
			if (!topic.filterParams().contains(name)) {
				return Parsed.refused("filter '" + criteria + "': parameter '" + name + "' is not supported by the topic "
						+ topic.url() + " (supported: " + String.join(", ", topic.filterParams().stream().sorted().toList())
						+ ", without modifiers)");
			}
			if (value.isBlank()) {
				return Parsed.refused("filter '" + criteria + "': parameter '" + name + "' has no value");
			}
			params.computeIfAbsent(name, n -> new ArrayList<>()).addAll(List.of(value.split(",")));
		}
		if (params.isEmpty()) {
			return Parsed.refused("filter '" + criteria + "' has no parameter");
		}
		return new Parsed(new TopicFilter(type, params), null);
	}

	private static String decode(String s) {
		return URLDecoder.decode(s, StandardCharsets.UTF_8);
	}

	/** Whether the resource matches every parameter. */
	public boolean matches(IBaseResource resource) {
		for (Map.Entry<String, List<String>> param : params.entrySet()) {
			Optional<String> actual = switch (param.getKey()) {
				case "patient" -> patientId(resource);
				case "status" -> Optional.ofNullable(Topic.status(resource));
				default -> Optional.empty();
			};
			if (actual.isEmpty() || param.getValue().stream().noneMatch(v -> sameValue(param.getKey(), v, actual.get()))) {
				return false;
			}
		}
		return true;
	}

	private static boolean sameValue(String param, String wanted, String actual) {
		if ("patient".equals(param)) {
			// patient=123 and patient=Patient/123 both name Patient/123, as in a search.
			String id = wanted.startsWith("Patient/") ? wanted.substring("Patient/".length()) : wanted;
			return id.equals(actual);
		}
		return wanted.equals(actual);
	}

	/** The id of the Patient the resource is about (subject), when it is a Patient. */
	private static Optional<String> patientId(IBaseResource resource) {
		Reference subject = resource instanceof DiagnosticReport r ? r.getSubject()
				: resource instanceof ServiceRequest s ? s.getSubject() : null;
		if (subject == null || !subject.hasReference()) {
			return Optional.empty();
		}
		org.hl7.fhir.r4.model.IdType id = new org.hl7.fhir.r4.model.IdType(subject.getReference());
		return "Patient".equals(id.getResourceType()) ? Optional.of(id.getIdPart()) : Optional.empty();
	}

	/** @param refusal why the filter is not accepted, or null */
	public record Parsed(TopicFilter filter, String refusal) {
		static Parsed refused(String why) {
			return new Parsed(null, why);
		}
	}
}
