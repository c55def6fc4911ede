package org.bonemarrow.server.security.logs;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Set;
import org.slf4j.Marker;

/**
 * Drops HAPI's five error lines (three with stack traces) for each failed rest-hook delivery attempt; the
 * server logs one line instead ({@code delivery.DeliveryDispatcher}, or {@code fhir.DeliveryFailureLog}
 * when HAPI delivers itself in stock mode). HAPI's retrying channel wrapper also
 * serves the matching channel, so only its lines about a delivery channel are dropped. Registered in
 * logback-spring.xml.
 */
public class DeliveryFailuresLoggedOnce extends TurboFilter {

	static final Set<String> HAPI_DELIVERY = Set.of(
			"ca.uhn.fhir.jpa.subscription.match.deliver.resthook.SubscriptionDeliveringRestHookListener",
			"ca.uhn.fhir.jpa.subscription.match.deliver.BaseSubscriptionDeliveryListener");
	static final String RETRYING_CHANNEL = "ca.uhn.fhir.jpa.subscription.channel.impl.RetryingMessageHandlerWrapper";
	/** HAPI's code for "Failure handling subscription payload", thrown by the delivery listener only. */
	static final String DELIVERY_FAILURE_CODE = "HAPI-0002:";

	@Override
	public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
		if (logger == null || level != Level.ERROR) {
			return FilterReply.NEUTRAL;
		}
		if (HAPI_DELIVERY.contains(logger.getName())) {
			return FilterReply.DENY;
		}
		return RETRYING_CHANNEL.equals(logger.getName()) && aboutDelivery(params, t) ? FilterReply.DENY : FilterReply.NEUTRAL;
	}

	static boolean aboutDelivery(Object[] params, Throwable t) {
		if (t != null && String.valueOf(t.getMessage()).contains(DELIVERY_FAILURE_CODE)) {
			return true;
		}
		if (params != null) {
			for (Object param : params) {
				String text = param instanceof Throwable thrown ? thrown.getMessage() : String.valueOf(param);
				if (text != null && (text.contains("subscription-delivery-") || text.contains(DELIVERY_FAILURE_CODE))) {
					return true;
				}
			}
		}
		return false;
	}
}
