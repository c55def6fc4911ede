package org.bonemarrow.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.subscription.model.ResourceDeliveryMessage;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line per failed rest-hook delivery attempt: which Subscription, which resource, which attempt,
 * what failed (exception type and HTTP status). HAPI's own delivery and retry classes log each failed
 * attempt five times, three of them with a stack trace, quoting exception texts that can carry what the
 * receiver answered; those are dropped in logback-spring.xml ({@code security.logs.DeliveryFailuresLoggedOnce}).
 * HAPI logs nothing when it stops retrying, so the line says that it will, and the attempt number shows how
 * far it got. Returning true keeps HAPI's retry.
 */
@Interceptor
public class DeliveryFailureLog {

	private static final Logger log = LoggerFactory.getLogger(DeliveryFailureLog.class);
	private static final int REMEMBERED = 1000;

	/** Failed attempts per subscription and resource version, the oldest forgotten first. */
	private final Map<String, Integer> attempts = new LinkedHashMap<>(16, 0.75f, true) {
		@Override
		protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
			return size() > REMEMBERED;
		}
	};

	@Hook(Pointcut.SUBSCRIPTION_AFTER_DELIVERY_FAILED)
	public boolean failed(ResourceDeliveryMessage message, Exception failure) {
		String subscription = message.getSubscription().getIdPart();
		int attempt;
		synchronized (attempts) {
			attempt = attempts.merge(subscription + "|" + message.getPayloadId(), 1, Integer::sum);
		}
		log.warn("Rest-hook delivery for Subscription/{} of {} failed (attempt {}): {}; HAPI tries again within its "
				+ "retry limit (delivery-retries), then drops the notification", subscription, message.getPayloadId(),
				attempt, describe(failure));
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
