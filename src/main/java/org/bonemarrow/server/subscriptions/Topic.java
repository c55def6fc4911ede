package org.bonemarrow.server.subscriptions;

import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.ServiceRequest;

/**
 * A published SubscriptionTopic: what resource it watches and when it fires. The triggers are those of the
 * topic's {@code resourceTrigger} (R5 SubscriptionTopic, Backport IG "Topics in R4"): create, and update with
 * the {@code queryCriteria} pair previous {@code status=x} / current {@code status!=x}, i.e. "the status changed".
 * Pure.
 *
 * @param url           the canonical URL subscribers put in {@code Subscription.criteria}
 * @param title         for people
 * @param resourceType  the focus resource type
 * @param profile       only resources of this exam profile (ExamResourceClassifier: claimed or by their code)
 * @param onCreate      whether a create fires (else only a status change does)
 * @param filterParams  the {@code canFilterBy} search parameters a subscriber may filter on
 */
public record Topic(String url, String title, String resourceType, String profile, boolean onCreate,
		Set<String> filterParams) {

	/**
	 * Whether this write is an event of the topic.
	 *
	 * @param previous the stored version before the write (null for a create)
	 * @param current  the version being stored
	 * @param isProfile whether a resource is of {@link #profile()}
	 */
	public boolean fires(IBaseResource previous, IBaseResource current, Predicate<IBaseResource> isProfile) {
		if (current == null || !resourceType.equals(current.fhirType()) || !isProfile.test(current)) {
			return false;
		}
		if (previous == null) {
			return onCreate;
		}
		return !Objects.equals(status(previous), status(current));
	}

	static String status(IBaseResource resource) {
		if (resource instanceof DiagnosticReport r) {
			return r.hasStatus() ? r.getStatus().toCode() : null;
		}
		if (resource instanceof ServiceRequest r) {
			return r.hasStatus() ? r.getStatus().toCode() : null;
		}
		return null;
	}
}
