package org.bonemarrow.server.delivery;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.subscription.model.ResourceDeliveryMessage;
import ca.uhn.fhir.jpa.subscription.model.ResourceModifiedMessage;

/**
 * With the outbox on, HAPI's subscription pipeline keeps what it does well (activating and registering
 * Subscriptions, which travel through its queue) and hands delivery over: no other change is queued for its
 * matcher (the outbox matched it before commit, {@link SubscriptionOutboxWriter}), and no delivery runs on
 * its channel except the outbox's own (which carries {@link RestHookChannel#DELIVERY_ATTRIBUTE}). Without
 * this, HAPI would also deliver each notification itself, once more and with its one-minute retry.
 */
@Interceptor
public class HapiDeliveryHandedOver {

	private final FhirContext fhirContext;

	public HapiDeliveryHandedOver(FhirContext fhirContext) {
		this.fhirContext = fhirContext;
	}

	@Hook(Pointcut.SUBSCRIPTION_RESOURCE_MODIFIED)
	public boolean onlySubscriptionsThroughHapisQueue(ResourceModifiedMessage message) {
		return message.hasResourceType(fhirContext, "Subscription");
	}

	@Hook(Pointcut.SUBSCRIPTION_BEFORE_DELIVERY)
	public boolean onlyTheOutboxDelivers(ResourceDeliveryMessage message) {
		return message.getAttribute(RestHookChannel.DELIVERY_ATTRIBUTE).isPresent();
	}
}
