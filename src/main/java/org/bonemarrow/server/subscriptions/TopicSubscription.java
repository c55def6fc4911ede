package org.bonemarrow.server.subscriptions;

import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Subscription;

/**
 * A topic-based Subscription as the Backport IG writes it in R4, read into what delivery needs: the topic,
 * the filters (AND), the payload content, the heartbeat period. Pure: {@link #read} says what is wrong, naming
 * the element, so the server can refuse it with 422 before it is stored.
 */
public record TopicSubscription(String id, Topic topic, List<TopicFilter> filters, String content,
		int heartbeatSeconds, Integer timeoutSeconds, Integer maxCount, String endpoint, List<String> headers) {

	/** Claims the backport-subscription profile (how the IG, and HAPI, tell a topic Subscription in R4). */
	public static boolean isTopicSubscription(Subscription s) {
		for (CanonicalType profile : s.getMeta().getProfile()) {
			String value = profile.getValue();
			if (value != null && (value.equals(BackportIg.SUBSCRIPTION_PROFILE)
					|| value.startsWith(BackportIg.SUBSCRIPTION_PROFILE + "|"))) {
				return true;
			}
		}
		return false;
	}

	/** Criteria that are a canonical URL rather than a search: meant as a topic. */
	public static boolean namesATopic(Subscription s) {
		String criteria = s.getCriteria();
		return criteria != null && (criteria.startsWith("http://") || criteria.startsWith("https://"));
	}

	/** Whether the events of the subscription go out (heartbeats included). */
	public boolean matches(org.hl7.fhir.instance.model.api.IBaseResource resource) {
		return filters.stream().allMatch(f -> f.matches(resource));
	}

	/** The Subscription read, or every reason it is refused. */
	public static Read read(Subscription s) {
		List<String> problems = new ArrayList<>();
		if (!isTopicSubscription(s)) {
			problems.add("Subscription.meta.profile must include " + BackportIg.SUBSCRIPTION_PROFILE
					+ " when Subscription.criteria names a topic (R4 Subscriptions Backport IG)");
		}
		Topic topic = Topics.byUrl(s.getCriteria()).orElse(null);
		if (topic == null) {
			problems.add("Subscription.criteria: unknown topic '" + s.getCriteria() + "'; this server publishes "
					+ String.join(", ", Topics.ALL.stream().map(Topic::url).toList()));
		}
		Subscription.SubscriptionChannelComponent channel = s.getChannel();
		if (channel.getType() != Subscription.SubscriptionChannelType.RESTHOOK) {
			problems.add("Subscription.channel.type: only rest-hook is supported for topic-based Subscriptions");
		}
		if (channel.hasPayload() && !channel.getPayload().startsWith("application/fhir+json")
				&& !channel.getPayload().startsWith("application/json")) {
			problems.add("Subscription.channel.payload: only application/fhir+json is supported, not '"
					+ channel.getPayload() + "'");
		}
		String content = BackportIg.ID_ONLY;
		Extension contentExt = channel.getPayloadElement().getExtensionByUrl(BackportIg.PAYLOAD_CONTENT);
		if (contentExt != null) {
			content = contentExt.getValue() == null ? null : contentExt.getValue().primitiveValue();
			if (!List.of(BackportIg.EMPTY, BackportIg.ID_ONLY, BackportIg.FULL_RESOURCE).contains(content)) {
				problems.add("Subscription.channel.payload extension " + BackportIg.PAYLOAD_CONTENT + ": unsupported payload '"
						+ content + "' (empty, id-only or full-resource)");
			}
		}
		List<TopicFilter> filters = new ArrayList<>();
		for (Extension f : s.getCriteriaElement().getExtensionsByUrl(BackportIg.FILTER_CRITERIA)) {
			if (topic == null) {
				break;
			}
			String value = f.getValue() instanceof StringType st ? st.getValue()
					: f.getValue() == null ? null : f.getValue().primitiveValue();
			TopicFilter.Parsed parsed = TopicFilter.parse(value, topic);
			if (parsed.refusal() != null) {
				problems.add("Subscription.criteria extension " + BackportIg.FILTER_CRITERIA + ": unsupported " + parsed.refusal());
			} else {
				filters.add(parsed.filter());
			}
		}
		Integer heartbeat = nonNegative(channel.getExtensionByUrl(BackportIg.HEARTBEAT_PERIOD), "heartbeat-period", problems);
		Integer timeout = nonNegative(channel.getExtensionByUrl(BackportIg.TIMEOUT), "timeout", problems);
		Integer maxCount = nonNegative(channel.getExtensionByUrl(BackportIg.MAX_COUNT), "max-count", problems);
		if (maxCount != null && maxCount < 1) {
			problems.add("Subscription.channel extension " + BackportIg.MAX_COUNT + " must be at least 1");
		}
		List<String> headers = channel.getHeader().stream().map(StringType::getValue).toList();
		TopicSubscription read = problems.isEmpty()
				? new TopicSubscription(s.getIdElement().getIdPart(), topic, List.copyOf(filters), content,
						heartbeat == null ? 0 : heartbeat, timeout, maxCount, channel.getEndpoint(), headers)
				: null;
		return new Read(read, List.copyOf(problems));
	}

	private static Integer nonNegative(Extension ext, String name, List<String> problems) {
		if (ext == null) {
			return null;
		}
		String value = ext.getValue() == null ? null : ext.getValue().primitiveValue();
		try {
			int n = Integer.parseInt(value);
			if (n < 0) {
				throw new NumberFormatException();
			}
			return n;
		} catch (NumberFormatException e) {
			problems.add("Subscription.channel extension backport-" + name + ": '" + value + "' is not a whole number of"
					+ (name.equals("max-count") ? " events" : " seconds"));
			return null;
		}
	}

	/** The filters as stored (one per line): read back with {@link #filtersFrom}. */
	public String filtersText() {
		return String.join("\n", filters.stream().map(TopicSubscription::text).toList());
	}

	private static String text(TopicFilter f) {
		StringBuilder b = new StringBuilder(f.resourceType()).append('?');
		f.params().forEach((name, values) -> b.append(b.charAt(b.length() - 1) == '?' ? "" : "&").append(name).append('=')
				.append(String.join(",", values)));
		return b.toString();
	}

	public static List<TopicFilter> filtersFrom(String text, Topic topic) {
		if (text == null || text.isBlank()) {
			return List.of();
		}
		List<TopicFilter> filters = new ArrayList<>();
		for (String line : text.split("\n")) {
			TopicFilter.Parsed parsed = TopicFilter.parse(line, topic);
			if (parsed.filter() != null) {
				filters.add(parsed.filter());
			}
		}
		return filters;
	}

	/** @param subscription null when refused */
	public record Read(TopicSubscription subscription, List<String> problems) {}
}
