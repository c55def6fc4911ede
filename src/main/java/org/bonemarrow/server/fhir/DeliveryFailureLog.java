package org.bonemarrow.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.subscription.model.ResourceDeliveryMessage;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per failed rest-hook delivery: which Subscription, which resource, what failed (exception
 * type and HTTP status). HAPI's own delivery and retry classes log each failed attempt five times, three of
 * them with a stack trace, quoting exception texts that can carry what the receiver answered; those are dropped in
 * logback-spring.xml ({@code security.logs.DeliveryFailuresLoggedOnce}). Returning true keeps HAPI's retry.
 */
@Interceptor
public class DeliveryFailureLog {

	private static final Logger log = LoggerFactory.getLogger(DeliveryFailureLog.class);

	@Hook(Pointcut.SUBSCRIPTION_AFTER_DELIVERY_FAILED)
	public boolean failed(ResourceDeliveryMessage message, Exception failure) {
		log.warn("Rest-hook delivery for Subscription/{} of {} failed: {}; HAPI retries it", message.getSubscription()
				.getIdPart(), message.getPayloadId(), describe(failure));
		return true;
	}

	/** The failure's type and HTTP status, never its text. */
	static String describe(Throwable failure) {
		Throwable root = failure;
		while (root.getCause() != null && root.getCause() != root) {
			if (root instanceof BaseServerResponseException) {
				break;
			}
			root = root.getCause();
		}
		return root instanceof BaseServerResponseException http
				? "HTTP " + http.getStatusCode() + " (" + root.getClass().getSimpleName() + ")"
				: root.getClass().getSimpleName();
	}
}
