package org.bonemarrow.server.adapter;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Receiving systems told when exam results change ({@code bonemarrow.notifications.*}): one FHIR R4
 * rest-hook Subscription per receiver, created or updated at start-up.
 *
 * @param deliveryRetries how many times HAPI retries a failed delivery to a receiver (0..10)
 * @param receivers       the configured receiving systems
 * @param endpoints       where any Subscription (configured or posted) may deliver
 */
@ConfigurationProperties("bonemarrow.notifications")
public record NotificationProperties(
		@DefaultValue("3") int deliveryRetries,
		@DefaultValue List<Receiver> receivers,
		@DefaultValue Endpoints endpoints) {

	public NotificationProperties {
		if (deliveryRetries < 0 || deliveryRetries > 10) {
			throw new IllegalArgumentException("bonemarrow.notifications.delivery-retries must be 0..10");
		}
		receivers = receivers == null ? List.of() : List.copyOf(receivers);
		for (Receiver r : receivers) {
			if (!isHttpUrl(r.endpoint())) {
				// Refused before anything is registered: a receiver that could never be delivered to would
				// otherwise only show up as dead letters days later.
				throw new IllegalArgumentException("bonemarrow.notifications.receivers[" + r.id()
						+ "].endpoint must be an http(s) URL with a host, was " + r.endpoint());
			}
		}
	}

	static boolean isHttpUrl(String endpoint) {
		try {
			java.net.URI uri = new java.net.URI(endpoint);
			return ("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()))
					&& uri.getHost() != null && !uri.getHost().isBlank();
		} catch (java.net.URISyntaxException | NullPointerException e) {
			return false;
		}
	}

	/**
	 * @param schemes       URL schemes a rest-hook endpoint may use
	 * @param hosts         when not empty, the only receiving hosts (a name, an address, or *.suffix)
	 * @param allowLoopback whether an endpoint may be this host itself or a link-local address
	 */
	public record Endpoints(
			@DefaultValue({"https", "http"}) List<String> schemes,
			@DefaultValue List<String> hosts,
			@DefaultValue("false") boolean allowLoopback) {}

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
