package org.bonemarrow.server.subscriptions;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.r4.model.Basic;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.CodeType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Enumerations.PublicationStatus;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.MarkdownType;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.UriType;

/**
 * The topics this server publishes. Built in code rather than read from a file: the trigger each one
 * describes is evaluated by {@link Topic#fires} and the two must not drift apart; {@link #asBasic} gives the
 * published form. Canonical URLs are under the package's base ({@code https://bonemarrow-exam.example/fhir/},
 * as the profiles in fhir-profiles/).
 */
public final class Topics {

	public static final String BASE = "https://bonemarrow-exam.example/fhir/SubscriptionTopic/";
	public static final String REPORT_URL = BASE + "bme-report-status";
	public static final String ORDER_URL = BASE + "bme-order-status";
	private static final String PROFILES = "https://bonemarrow-exam.example/fhir/StructureDefinition/";

	public static final Topic REPORT = new Topic(REPORT_URL, "A bone marrow report was created or changed status",
			"DiagnosticReport", PROFILES + "bme-exam-report", true, Set.of("patient", "status"));
	public static final Topic ORDER = new Topic(ORDER_URL, "A bone marrow exam order changed status", "ServiceRequest",
			PROFILES + "bme-exam-order", false, Set.of("patient", "status"));

	public static final List<Topic> ALL = List.of(REPORT, ORDER);

	private Topics() {}

	/** The topic of a canonical URL, with or without {@code |version}. */
	public static Optional<Topic> byUrl(String canonical) {
		if (canonical == null) {
			return Optional.empty();
		}
		String url = canonical.contains("|") ? canonical.substring(0, canonical.indexOf('|')) : canonical;
		return ALL.stream().filter(t -> t.url().equals(url)).findFirst();
	}

	/**
	 * The topic as the Backport IG represents a SubscriptionTopic in R4: a {@code Basic} whose code is
	 * {@code SubscriptionTopic} and whose R5 elements are cross-version extensions
	 * ({@code http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.<element>}).
	 */
	public static Basic asBasic(Topic topic) {
		String x = "http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.";
		Basic basic = new Basic();
		basic.setId(topic.url().substring(BASE.length()));
		basic.setCode(new CodeableConcept().addCoding(new org.hl7.fhir.r4.model.Coding(
				"http://hl7.org/fhir/fhir-types", "SubscriptionTopic", "SubscriptionTopic")));
		basic.addExtension(x + "url", new UriType(topic.url()));
		basic.addExtension(x + "title", new StringType(topic.title()));
		basic.addExtension(x + "status", new CodeType(PublicationStatus.ACTIVE.toCode()));
		basic.addExtension(x + "description", new MarkdownType(topic.title() + " (resources of the profile "
				+ topic.profile() + ")."));
		Extension trigger = basic.addExtension().setUrl(x + "resourceTrigger");
		trigger.addExtension("description", new MarkdownType(topic.onCreate()
				? "Created, or updated with another status" : "Updated with another status"));
		trigger.addExtension("resource", new UriType("http://hl7.org/fhir/StructureDefinition/" + topic.resourceType()));
		if (topic.onCreate()) {
			trigger.addExtension("supportedInteraction", new CodeType("create"));
		}
		trigger.addExtension("supportedInteraction", new CodeType("update"));
		Extension query = trigger.addExtension().setUrl("queryCriteria");
		query.addExtension("previous", new StringType("status=%previous.status"));
		query.addExtension("current", new StringType("status:not=%previous.status"));
		query.addExtension("requireBoth", new org.hl7.fhir.r4.model.BooleanType(true));
		for (String param : topic.filterParams().stream().sorted().toList()) {
			Extension filter = basic.addExtension().setUrl(x + "canFilterBy");
			filter.addExtension("resource", new UriType(topic.resourceType()));
			filter.addExtension("filterParameter", new StringType(param));
		}
		basic.addExtension().setUrl(x + "notificationShape").addExtension("resource",
				new UriType("http://hl7.org/fhir/StructureDefinition/" + topic.resourceType()));
		basic.getMeta().addProfile("http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-topic");
		basic.addExtension(x + "version", new StringType("1.0.0"));
		basic.addIdentifier().setSystem("urn:ietf:rfc:3986").setValue(topic.url());
		return basic;
	}

	/** For capability statements: the canonical of each topic. */
	public static List<CanonicalType> canonicals() {
		return ALL.stream().map(t -> new CanonicalType(t.url())).toList();
	}
}
