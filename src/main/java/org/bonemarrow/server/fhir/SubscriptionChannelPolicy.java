package org.bonemarrow.server.fhir;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where a rest-hook Subscription may deliver, and what it may send along (FHIR R4
 * {@code Subscription.channel.endpoint} and {@code .header}). A Subscription is a standing instruction to
 * send results out; an endpoint on this host or on a link-local address (cloud metadata services live at
 * 169.254.169.254) would let any client that may write a Subscription make the server call its own
 * internals, and a header with a line break would let it forge requests. Pure: each method returns why a
 * value is refused, or empty.
 *
 * @param schemes       URL schemes allowed, lower case (e.g. https, http)
 * @param hosts         when not empty, the only hosts allowed: a name, an address, or {@code *.suffix}
 * @param allowLoopback whether endpoints on this host (loopback, any-local) and link-local addresses are allowed
 */
public record SubscriptionChannelPolicy(List<String> schemes, List<String> hosts, boolean allowLoopback) {

	/** Value shown instead of a header's value to whoever reads a Subscription. */
	public static final String MASK = "***";

	private static final Pattern HEADER = Pattern.compile("([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \\t]*([^\\r\\n\\x00]*)");
	/** Headers that belong to the HTTP connection and the delivery itself, not to the receiver's security. */
	private static final Set<String> RESERVED = Set.of("host", "content-length", "content-type", "transfer-encoding",
			"connection", "upgrade", "te", "trailer", "keep-alive", "proxy-authorization", "expect");

	public SubscriptionChannelPolicy {
		schemes = schemes.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
		hosts = hosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
	}

	public Optional<String> endpointRefusal(String endpoint) {
		if (endpoint == null || endpoint.isBlank()) {
			return Optional.of("Subscription.channel.endpoint is required for a rest-hook channel");
		}
		URI uri;
		try {
			uri = new URI(endpoint.trim());
		} catch (URISyntaxException e) {
			return Optional.of("Subscription.channel.endpoint is not a valid URL");
		}
		String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
		if (!schemes.contains(scheme)) {
			return Optional.of("Subscription.channel.endpoint: scheme '" + scheme + "' is not allowed; allowed: "
					+ String.join(", ", schemes) + " (bonemarrow.notifications.endpoints.schemes)");
		}
		String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
		if (host.isEmpty() || uri.getUserInfo() != null) {
			return Optional.of("Subscription.channel.endpoint must name a host, without user information");
		}
		if (!hosts.isEmpty() && hosts.stream().noneMatch(allowed -> matches(allowed, host))) {
			return Optional.of("Subscription.channel.endpoint: host " + host + " is not among the allowed receiving hosts "
					+ "(bonemarrow.notifications.endpoints.hosts)");
		}
		if (!allowLoopback && isLocal(host)) {
			return Optional.of("Subscription.channel.endpoint: host " + host + " is this server or a link-local address, "
					+ "which a Subscription may not call (bonemarrow.notifications.endpoints.allow-loopback)");
		}
		return Optional.empty();
	}

	/** A header must be {@code Name: value} on one line, and not one that frames the HTTP request. */
	public Optional<String> headerRefusal(String header) {
		var m = header == null ? null : HEADER.matcher(header);
		if (m == null || !m.matches()) {
			return Optional.of("Subscription.channel.header must each be one line of the form 'Name: value'");
		}
		if (RESERVED.contains(m.group(1).toLowerCase(Locale.ROOT))) {
			return Optional.of("Subscription.channel.header may not set " + m.group(1)
					+ ": the server sets it for each delivery");
		}
		return Optional.empty();
	}

	/** {@code Authorization: Bearer abc} -> {@code Authorization: ***}; a header without a name is masked whole. */
	public static String mask(String header) {
		int colon = header == null ? -1 : header.indexOf(':');
		return colon < 0 ? MASK : header.substring(0, colon) + ": " + MASK;
	}

	public static boolean isMasked(String header) {
		return header != null && header.strip().endsWith(": " + MASK) || MASK.equals(header);
	}

	/** The header's name, lower case, or the empty string. */
	public static String name(String header) {
		int colon = header == null ? -1 : header.indexOf(':');
		return colon < 0 ? "" : header.substring(0, colon).strip().toLowerCase(Locale.ROOT);
	}

	private static boolean matches(String allowed, String host) {
		return allowed.startsWith("*.") ? host.endsWith(allowed.substring(1)) : allowed.equals(host);
	}

	/** Resolved now, as the delivery will be: a name that resolves to this host counts as this host. */
	private static boolean isLocal(String host) {
		if ("localhost".equals(host) || host.endsWith(".localhost")) {
			return true;
		}
		try {
			for (InetAddress address : InetAddress.getAllByName(host.replace("[", "").replace("]", ""))) {
				if (address.isLoopbackAddress() || address.isAnyLocalAddress() || address.isLinkLocalAddress()) {
					return true;
				}
			}
			return false;
		} catch (UnknownHostException e) {
			// Not resolvable here and now: not this host; the delivery will fail and be retried.
			return false;
		}
	}
}
