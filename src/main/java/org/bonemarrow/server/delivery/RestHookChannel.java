package org.bonemarrow.server.delivery;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.HookParams;
import ca.uhn.fhir.interceptor.api.IInterceptorBroadcaster;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.subscription.match.deliver.resthook.SubscriptionDeliveringRestHookListener;
import ca.uhn.fhir.jpa.subscription.match.matcher.matching.ISubscriptionMatcher;
import ca.uhn.fhir.jpa.subscription.match.registry.SubscriptionCanonicalizer;
import ca.uhn.fhir.jpa.subscription.model.CanonicalSubscription;
import ca.uhn.fhir.jpa.subscription.model.ResourceDeliveryMessage;
import ca.uhn.fhir.jpa.subscription.model.ResourceModifiedMessage;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.client.exceptions.FhirClientConnectionException;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.rest.server.messaging.BaseResourceMessage.OperationTypeEnum;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Subscription;

/**
 * Rest-hook Subscriptions, the delivery half: one attempt of one outbox row, through HAPI's own rest-hook
 * listener ({@link SubscriptionDeliveringRestHookListener}: the same PUT of the resource to
 * {@code <endpoint>/<Type>/<id>}, or POST without a body, with the Subscription's headers), and HAPI's
 * delivery pointcuts around it (SUBSCRIPTION_BEFORE_DELIVERY, ..._BEFORE/AFTER_REST_HOOK_DELIVERY,
 * ..._AFTER_DELIVERY, ..._AFTER_DELIVERY_FAILED), so interceptors written for HAPI's delivery still apply.
 *
 * <p>What is sent is the resource <em>at the version that was queued</em>, so every retry carries the
 * same content and the same {@code meta.versionId}, and the header {@code X-Delivery-Id} carries the
 * delivery's identity: a receiver can drop a repeat. The Subscription is read from the database at each
 * attempt (so an endpoint corrected meanwhile is used, and a Subscription registered on another instance is
 * known here); a deleted or switched-off Subscription cancels its pending deliveries.
 */
public class RestHookChannel implements DeliveryChannel {

	/** Marks the outbox's own delivery messages ({@link HapiDeliveryHandedOver} lets only these through). */
	static final String DELIVERY_ATTRIBUTE = "bme-delivery-id";
	public static final String DELIVERY_ID_HEADER = "X-Delivery-Id";

	private final FhirContext fhirContext;
	private final DaoRegistry daos;
	private final SubscriptionCanonicalizer canonicalizer;
	private final ISubscriptionMatcher databaseMatcher;
	private final IInterceptorBroadcaster interceptors;
	private final Supplier<SubscriptionDeliveringRestHookListener> listeners;

	public RestHookChannel(FhirContext fhirContext, DaoRegistry daos, SubscriptionCanonicalizer canonicalizer,
			ISubscriptionMatcher databaseMatcher, IInterceptorBroadcaster interceptors,
			Supplier<SubscriptionDeliveringRestHookListener> listeners) {
		this.fhirContext = fhirContext;
		this.daos = daos;
		this.canonicalizer = canonicalizer;
		this.databaseMatcher = databaseMatcher;
		this.interceptors = interceptors;
		this.listeners = listeners;
	}

	@Override
	public String name() {
		return REST_HOOK;
	}

	/** The rest-hook Subscriptions stored now, active or not (status shows them all). */
	@Override
	public List<Receiver> receivers() {
		SearchParameterMap restHooks = SearchParameterMap.newSynchronous("type", new TokenParam("rest-hook"));
		restHooks.setCount(1000);
		List<Receiver> receivers = new ArrayList<>();
		for (IBaseResource r : daos.getResourceDao("Subscription").search(restHooks, new SystemRequestDetails())
				.getAllResources()) {
			Subscription s = (Subscription) r;
			if (isTopicSubscription(s)) {
				continue; // delivered by their own channel (package subscriptions), listed there
			}
			receivers.add(new Receiver(s.getIdElement().getIdPart(), s.getChannel().getEndpoint()));
		}
		return receivers;
	}

	/** Claims the R4 Subscriptions Backport IG's topic Subscription profile (HAPI tells them apart the same way). */
	private static boolean isTopicSubscription(Subscription s) {
		return s.getMeta().getProfile().stream().anyMatch(p -> String.valueOf(p.getValue())
				.startsWith("http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription"));
	}

	/** HAPI's REST client: connect, connection-pool and socket timeouts (10 s each by default). */
	@Override
	public java.time.Duration longestAttempt() {
		var client = fhirContext.getRestfulClientFactory();
		return java.time.Duration.ofMillis((long) client.getConnectTimeout() + client.getConnectionRequestTimeout()
				+ client.getSocketTimeout());
	}

	@Override
	public Outcome attempt(Delivery delivery) {
		CanonicalSubscription subscription;
		try {
			IBaseResource stored = daos.getResourceDao("Subscription").read(new IdType("Subscription", delivery.receiver()),
					new SystemRequestDetails());
			subscription = canonicalizer.canonicalize(stored);
		} catch (ResourceNotFoundException | ResourceGoneException e) {
			return Outcome.cancelled("Subscription deleted");
		}
		if (subscription.getStatus() == Subscription.SubscriptionStatus.OFF) {
			return Outcome.cancelled("Subscription is off");
		}
		if (!SubscriptionOutboxWriter.isRestHook(subscription)) {
			return Outcome.cancelled("Subscription is no longer a rest-hook");
		}
		OperationTypeEnum operation = OperationTypeEnum.valueOf(delivery.operation());
		IdType version = new IdType(delivery.resource());
		IBaseResource resource = null;
		if (operation != OperationTypeEnum.DELETE) {
			try {
				resource = daos.getResourceDao(version.getResourceType()).read(version, new SystemRequestDetails());
			} catch (ResourceNotFoundException | ResourceGoneException e) {
				return Outcome.cancelled("the resource version is no longer stored");
			}
		}
		if (delivery.matchLater() && !matchesNow(subscription, version, resource, operation)) {
			return Outcome.notMatched();
		}
		return deliver(delivery, subscription, version, resource, operation);
	}

	/** Criteria HAPI could not match in memory: asked of the database, as HAPI's own matcher does. */
	private boolean matchesNow(CanonicalSubscription subscription, IdType version, IBaseResource resource,
			OperationTypeEnum operation) {
		ResourceModifiedMessage change = resource != null
				? new ResourceModifiedMessage(fhirContext, resource, operation)
				: new ResourceModifiedMessage(version, operation, null);
		return databaseMatcher.match(subscription, change).matched();
	}

	private Outcome deliver(Delivery delivery, CanonicalSubscription subscription, IdType version, IBaseResource resource,
			OperationTypeEnum operation) {
		subscription.addHeader(DELIVERY_ID_HEADER + ": " + delivery.messageId());
		ResourceDeliveryMessage message = new ResourceDeliveryMessage();
		message.setSubscription(subscription);
		message.setOperationType(operation);
		message.setPayloadId(version);
		if (resource != null) {
			message.setPayload(fhirContext, resource, payloadEncoding(subscription));
		}
		message.setAttribute(DELIVERY_ATTRIBUTE, delivery.messageId());
		HookParams params = new HookParams().add(ResourceDeliveryMessage.class, message)
				.add(CanonicalSubscription.class, subscription);
		try {
			if (!interceptors.callHooks(Pointcut.SUBSCRIPTION_BEFORE_DELIVERY, params)) {
				return Outcome.cancelled("stopped by an interceptor (SUBSCRIPTION_BEFORE_DELIVERY)");
			}
			listeners.get().handleMessage(message);
			interceptors.callHooks(Pointcut.SUBSCRIPTION_AFTER_DELIVERY, params);
			return Outcome.delivered();
		} catch (Exception e) {
			interceptors.callHooks(Pointcut.SUBSCRIPTION_AFTER_DELIVERY_FAILED,
					new HookParams().add(ResourceDeliveryMessage.class, message).add(Exception.class, e));
			return Outcome.failed(describe(e));
		}
	}

	private static EncodingEnum payloadEncoding(CanonicalSubscription subscription) {
		EncodingEnum encoding = subscription.getPayloadString() == null ? null
				: EncodingEnum.forContentType(subscription.getPayloadString());
		return encoding == null ? EncodingEnum.JSON : encoding;
	}

	/** The failure's type and HTTP status, never its text (it can quote what the receiver answered). */
	static String describe(Throwable failure) {
		Throwable root = failure;
		while (!(root instanceof BaseServerResponseException) && root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		if (root instanceof FhirClientConnectionException
				|| (root instanceof ResourceNotFoundException && String.valueOf(root.getMessage()).startsWith("HAPI-0005"))) {
			// HAPI's client reports "no connection" as a 500 (with a payload) or a 404 (a notification without one).
			return "no connection (" + (root.getCause() == null ? root.getClass() : root.getCause().getClass()).getSimpleName() + ")";
		}
		return root instanceof BaseServerResponseException http
				? "HTTP " + http.getStatusCode() + " (" + root.getClass().getSimpleName() + ")"
				: root.getClass().getSimpleName();
	}
}
