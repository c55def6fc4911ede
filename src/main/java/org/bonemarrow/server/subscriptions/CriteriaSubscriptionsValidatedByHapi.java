package org.bonemarrow.server.subscriptions;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.subscription.submit.interceptor.SubscriptionValidatingInterceptor;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * HAPI's Subscription validation, for criteria Subscriptions only. Registered in place of HAPI's own
 * {@link SubscriptionValidatingInterceptor}: for an R4 backport (topic) Subscription HAPI requires at least
 * one filter criteria and looks the topic up as a stored R5 SubscriptionTopic, neither of which fits the
 * Backport IG (filters are optional) or this server (topics are published in code, {@link Topics});
 * {@link TopicSubscriptionRules} validates those. Criteria Subscriptions are validated exactly as before.
 */
@Interceptor
public class CriteriaSubscriptionsValidatedByHapi {

	private final SubscriptionValidatingInterceptor hapi;

	public CriteriaSubscriptionsValidatedByHapi(SubscriptionValidatingInterceptor hapi) {
		this.hapi = hapi;
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
	public void resourcePreCreate(IBaseResource resource, RequestDetails request, RequestPartitionId partition) {
		if (!TopicSubscriptionRules.isTopic(resource)) {
			hapi.resourcePreCreate(resource, request, partition);
		}
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
	public void resourceUpdated(IBaseResource previous, IBaseResource resource, RequestDetails request,
			RequestPartitionId partition) {
		if (!TopicSubscriptionRules.isTopic(resource)) {
			hapi.resourceUpdated(previous, resource, request, partition);
		}
	}
}
