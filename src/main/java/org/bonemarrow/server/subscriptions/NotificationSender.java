package org.bonemarrow.server.subscriptions;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * POSTs a notification Bundle to a rest-hook endpoint (Backport IG, "Channels: REST-hook": the Bundle is the
 * body of a POST to {@code channel.endpoint}, with the channel's headers). Redirects are not followed: the
 * endpoint was checked when the Subscription was written, a redirect could lead anywhere.
 */
public class NotificationSender {

	public static final String DELIVERY_ID_HEADER = "X-Delivery-Id";
	static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
	static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(20);

	private final HttpClient client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
			.followRedirects(HttpClient.Redirect.NEVER).build();

	/** The longest one POST can take. */
	public Duration longest() {
		return CONNECT_TIMEOUT.plus(ANSWER_TIMEOUT);
	}

	/**
	 * @param timeoutSeconds the Subscription's backport-timeout, or null; never longer than {@link #ANSWER_TIMEOUT}
	 * @return the HTTP status
	 */
	public int post(String endpoint, List<String> headers, String deliveryId, String body, Integer timeoutSeconds)
			throws IOException, InterruptedException {
		Duration timeout = timeoutSeconds == null || timeoutSeconds <= 0 ? ANSWER_TIMEOUT
				: Duration.ofSeconds(Math.min(timeoutSeconds, ANSWER_TIMEOUT.toSeconds()));
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint.trim())).timeout(timeout)
				.header("Content-Type", "application/fhir+json; charset=utf-8")
				.POST(HttpRequest.BodyPublishers.ofString(body));
		for (String header : headers) {
			int colon = header == null ? -1 : header.indexOf(':');
			if (colon > 0) {
				request.header(header.substring(0, colon).strip(), header.substring(colon + 1).strip());
			}
		}
		if (deliveryId != null) {
			request.header(DELIVERY_ID_HEADER, deliveryId);
		}
		return client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
	}
}
