package org.bonemarrow.server.security;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.authorization.InMemoryOAuth2AuthorizationService;
import org.springframework.security.oauth2.server.authorization.OAuth2Authorization;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationService;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;

/**
 * The embedded authorization server's record of the tokens it issued, so that a token revoked at
 * {@code /oauth2/revoke} (RFC 7009) stops working at once on this server instead of at its expiry.
 * Spring Authorization Server marks a revoked token invalidated in its {@link OAuth2AuthorizationService};
 * {@link #rejectingRevoked(JwtDecoder)} makes the resource server ask that record for every bearer token.
 * Spring's in-memory store keeps every authorization forever; this one forgets each when its access token
 * has expired (a token that has expired is refused anyway), so the record stays as small as the set of
 * live tokens. In memory per instance: with several instances, a revocation holds on the instance that
 * issued the token; keep token-ttl short there, or use an external identity provider (README).
 */
public final class IssuedTokens implements OAuth2AuthorizationService {

	private final InMemoryOAuth2AuthorizationService store = new InMemoryOAuth2AuthorizationService();
	private final Map<String, Instant> expiries = new ConcurrentHashMap<>();
	private final Clock clock;

	public IssuedTokens(Clock clock) {
		this.clock = clock;
	}

	@Override
	public void save(OAuth2Authorization authorization) {
		forgetExpired();
		store.save(authorization);
		OAuth2Authorization.Token<OAuth2AccessToken> access = authorization.getAccessToken();
		if (access != null && access.getToken().getExpiresAt() != null) {
			expiries.put(authorization.getId(), access.getToken().getExpiresAt());
		}
	}

	@Override
	public void remove(OAuth2Authorization authorization) {
		store.remove(authorization);
		expiries.remove(authorization.getId());
	}

	@Override
	public OAuth2Authorization findById(String id) {
		return store.findById(id);
	}

	@Override
	public OAuth2Authorization findByToken(String token, OAuth2TokenType tokenType) {
		return store.findByToken(token, tokenType);
	}

	/** Whether this server issued the token and it has since been revoked. */
	public boolean isRevoked(String tokenValue) {
		OAuth2Authorization authorization = store.findByToken(tokenValue, OAuth2TokenType.ACCESS_TOKEN);
		return authorization != null && authorization.getAccessToken() != null
				&& authorization.getAccessToken().isInvalidated();
	}

	/** The decoder, refusing a revoked token as the resource server refuses any invalid one (401). */
	public JwtDecoder rejectingRevoked(JwtDecoder decoder) {
		return token -> {
			Jwt jwt = decoder.decode(token);
			if (isRevoked(token)) {
				throw new BadJwtException("The access token has been revoked");
			}
			return jwt;
		};
	}

	int size() {
		return expiries.size();
	}

	private void forgetExpired() {
		Instant now = clock.instant();
		expiries.entrySet().removeIf(entry -> {
			if (entry.getValue().isBefore(now)) {
				OAuth2Authorization expired = store.findById(entry.getKey());
				if (expired != null) {
					store.remove(expired);
				}
				return true;
			}
			return false;
		});
	}
}
