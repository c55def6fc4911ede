package org.bonemarrow.server.security;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code bonemarrow.security.*}: who may call the server and with what.
 *
 * @param enabled       bearer tokens and SMART scopes enforced; false only through
 *                      {@code bonemarrow.stock-mode} for the benchmark's stock comparison
 * @param roles         role name to space-separated SMART system scopes
 * @param issuerUri     external identity provider (OpenID issuer); set it or {@code jwkSetUri} to turn the
 *                      embedded authorization server off
 * @param jwkSetUri     external identity provider's JWK set, when it has no discovery document
 * @param tokenEndpoint token endpoint advertised in the SMART configuration when an external provider is
 *                      used; empty with the embedded one ({@code /oauth2/token} on this server)
 * @param embedded      the embedded authorization server
 * @param limits        limits on what a request may carry
 */
@ConfigurationProperties("bonemarrow.security")
public record SecurityProperties(
		@DefaultValue("true") boolean enabled,
		@DefaultValue Map<String, String> roles,
		@DefaultValue("") String issuerUri,
		@DefaultValue("") String jwkSetUri,
		@DefaultValue("") String tokenEndpoint,
		@DefaultValue Embedded embedded,
		@DefaultValue Limits limits) {

	public SecurityProperties {
		roles = roles == null ? Map.of() : Map.copyOf(roles);
	}

	/** True when tokens come from an identity provider outside this server. */
	public boolean externalProvider() {
		return !issuerUri.isBlank() || !jwkSetUri.isBlank();
	}

	/**
	 * @param clients  roles that get a client of the same name on first start (random secret, kept in
	 *                 {@code <data-dir>/security/clients.json})
	 * @param tokenTtl lifetime of an access token
	 */
	public record Embedded(
			@DefaultValue({"ehr", "lab", "department", "integration", "auditor"}) List<String> clients,
			@DefaultValue("10m") Duration tokenTtl) {}

	/**
	 * @param maxRequestSize   largest request body accepted on /fhir and /hl7v2, also after inflating a
	 *                         gzip-compressed one
	 * @param maxBundleEntries most entries in a transaction or batch Bundle
	 * @param maxDepth         deepest nesting of objects and arrays in a JSON body, or of elements in an XML
	 *                         body; default 64
	 * @param maxJsonDepth     the former name of {@code maxDepth}, still read when {@code max-depth} is not set
	 * @param maxUrlLength     longest URL (path and query string, in characters) accepted on /fhir; keep it
	 *                         below {@code server.max-http-request-header-size}, which Tomcat applies first
	 */
	public record Limits(
			@DefaultValue("5MB") DataSize maxRequestSize,
			@DefaultValue("1000") int maxBundleEntries,
			Integer maxDepth,
			Integer maxJsonDepth,
			@DefaultValue("8192") int maxUrlLength) {

		public Limits {
			if (maxDepth == null) {
				maxDepth = maxJsonDepth != null ? maxJsonDepth : 64;
			}
		}
	}
}
