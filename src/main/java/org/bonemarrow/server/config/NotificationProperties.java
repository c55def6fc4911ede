package org.bonemarrow.server.config;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Receiving systems told when exam results change ({@code bonemarrow.notifications.*}): one FHIR R4
 * rest-hook Subscription per receiver, created or updated at start-up.
 *
 * @param deliveryRetries how many times HAPI retries a failed delivery to a receiver (0..10)
 * @param receivers       the configured receiving systems
 */
@ConfigurationProperties("bonemarrow.notifications")
public record NotificationProperties(
		@DefaultValue("3") int deliveryRetries,
		@DefaultValue List<Receiver> receivers) {

	public NotificationProperties {
		if (deliveryRetries < 0 || deliveryRetries > 10) {
			throw new IllegalArgumentException("bonemarrow.notifications.delivery-retries must be 0..10");
		}
		receivers = receivers == null ? List.of() : List.copyOf(receivers);
	}

	/**
	 * @param id       stable name of the receiving system (letters, digits, '-'); the Subscription's id
	 *                 is {@code bme-receiver-<id>}
	 * @param endpoint http(s) URL HAPI POSTs to
	 * @param headers  HTTP headers sent with every delivery, "Name: value" (e.g. an Authorization header)
	 * @param criteria FHIR search the changed resource must match
	 * @param payload  application/fhir+json, application/fhir+xml, or empty for a notification without body
	 */
	public record Receiver(
			String id,
			String endpoint,
			@DefaultValue List<String> headers,
			@DefaultValue("DiagnosticReport?status=preliminary,final,amended,corrected,appended") String criteria,
			@DefaultValue("application/fhir+json") String payload) {}
}
