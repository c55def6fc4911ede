package org.bonemarrow.server.security.backend;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.Jwt;

/**
 * The claims of a client assertion whose signature has been verified, checked as SMART Backend Services
 * ("Authenticating", which follows RFC 7523 section 3) asks: {@code iss} and {@code sub} are the client id,
 * {@code aud} is the token endpoint URL, {@code exp} is present and at most five minutes ahead, {@code jti}
 * is present and not used before. The first failure is returned, and a jti is recorded only when everything
 * else holds, so a refused assertion never uses up its jti. Descriptions name the check, never a value from
 * the assertion.
 */
final class ClientAssertionChecks implements OAuth2TokenValidator<Jwt> {

	/** SMART: "exp: ... no more than five minutes in the future". */
	static final Duration MAX_LIFETIME = Duration.ofMinutes(5);
	/** Clocks of client and server differ a little; the same allowance as Spring's JwtTimestampValidator. */
	static final Duration CLOCK_SKEW = Duration.ofSeconds(60);
	private static final int MAX_JTI_LENGTH = 255;

	private final String clientId;
	private final Supplier<Collection<String>> tokenEndpoints;
	private final JtiReplayWindow replays;
	private final Clock clock;

	/**
	 * @param tokenEndpoints the token endpoint's URLs as clients may know it (asked per assertion: it depends
	 *                       on the request's host)
	 */
	ClientAssertionChecks(String clientId, Supplier<Collection<String>> tokenEndpoints, JtiReplayWindow replays,
			Clock clock) {
		this.clientId = clientId;
		this.tokenEndpoints = tokenEndpoints;
		this.replays = replays;
		this.clock = clock;
	}

	@Override
	public OAuth2TokenValidatorResult validate(Jwt assertion) {
		Instant now = clock.instant();
		if (!clientId.equals(assertion.getClaimAsString("iss"))) {
			return refused("iss must be the client_id");
		}
		if (!clientId.equals(assertion.getClaimAsString("sub"))) {
			return refused("sub must be the client_id");
		}
		List<String> audience = assertion.getAudience();
		if (audience == null || audience.stream().noneMatch(this::isTokenEndpoint)) {
			return refused("aud must be this server's token endpoint URL");
		}
		Instant exp = assertion.getExpiresAt();
		if (exp == null) {
			return refused("exp is required");
		}
		if (exp.isBefore(now.minus(CLOCK_SKEW))) {
			return refused("the assertion has expired (exp)");
		}
		if (exp.isAfter(now.plus(MAX_LIFETIME).plus(CLOCK_SKEW))) {
			return refused("exp must be at most 5 minutes in the future");
		}
		Instant nbf = assertion.getNotBefore();
		if (nbf != null && nbf.isAfter(now.plus(CLOCK_SKEW))) {
			return refused("the assertion is not valid yet (nbf)");
		}
		String jti = assertion.getId();
		if (jti == null || jti.isBlank() || jti.length() > MAX_JTI_LENGTH) {
			return refused("jti is required (at most " + MAX_JTI_LENGTH + " characters)");
		}
		if (!replays.firstUse(clientId, jti, exp.plus(CLOCK_SKEW))) {
			return refused("jti has been used before: an assertion is accepted once");
		}
		return OAuth2TokenValidatorResult.success();
	}

	private boolean isTokenEndpoint(String audience) {
		String candidate = normalized(audience);
		return candidate != null && tokenEndpoints.get().stream().map(ClientAssertionChecks::normalized)
				.anyMatch(candidate::equals);
	}

	/**
	 * The same URL written two ways is the same audience: scheme and host in any case, the default port
	 * given or not, a trailing slash or not.
	 */
	static String normalized(String url) {
		try {
			URI uri = new URI(Objects.requireNonNull(url).trim());
			if (uri.getScheme() == null || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
				return null;
			}
			String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
			int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : scheme.equals("http") ? 80 : -1;
			String path = uri.getRawPath() == null ? "" : uri.getRawPath().replaceAll("/+$", "");
			return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + ":" + port + path;
		} catch (URISyntaxException | RuntimeException e) {
			return null;
		}
	}

	private static OAuth2TokenValidatorResult refused(String description) {
		return OAuth2TokenValidatorResult.failure(new OAuth2Error(OAuth2ErrorCodes.INVALID_CLIENT, description,
				"https://hl7.org/fhir/smart-app-launch/backend-services.html#authenticating"));
	}
}
