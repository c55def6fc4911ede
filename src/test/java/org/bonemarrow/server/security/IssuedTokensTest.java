package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.server.authorization.OAuth2Authorization;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;

class IssuedTokensTest {

	private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
	private static final RegisteredClient CLIENT = RegisteredClient.withId("lab").clientId("lab").clientSecret("x")
			.clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
			.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS).build();

	@Test
	void aRevokedTokenIsKnownAsRevoked_aLiveOneIsNot_anUnknownOneIsNot() {
		IssuedTokens tokens = new IssuedTokens(Clock.fixed(T0, ZoneOffset.UTC));
		OAuth2Authorization live = authorization("live", T0.plus(Duration.ofMinutes(10)));
		tokens.save(live);
		tokens.save(OAuth2Authorization.from(authorization("revoked", T0.plus(Duration.ofMinutes(10))))
				.invalidate(new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, "revoked", T0, T0.plus(Duration.ofMinutes(10))))
				.build());
		assertThat(tokens.isRevoked("revoked")).isTrue();
		assertThat(tokens.isRevoked("live")).isFalse();
		assertThat(tokens.isRevoked("issued-by-another-instance")).isFalse();
	}

	@Test
	void expiredTokensAreForgotten_soTheRecordDoesNotGrow() {
		MutableClock clock = new MutableClock(T0);
		IssuedTokens tokens = new IssuedTokens(clock);
		for (int i = 0; i < 100; i++) {
			tokens.save(authorization("t" + i, T0.plus(Duration.ofMinutes(10))));
		}
		assertThat(tokens.size()).isEqualTo(100);
		clock.now = T0.plus(Duration.ofMinutes(11));
		tokens.save(authorization("new", clock.now.plus(Duration.ofMinutes(10))));
		assertThat(tokens.size()).isEqualTo(1);
		assertThat(tokens.findByToken("t1", null)).isNull();
	}

	private static OAuth2Authorization authorization(String value, Instant expiresAt) {
		return OAuth2Authorization.withRegisteredClient(CLIENT).id("id-" + value).principalName("lab")
				.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
				.token(new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, value, T0, expiresAt)).build();
	}

	private static final class MutableClock extends Clock {
		Instant now;

		MutableClock(Instant now) {
			this.now = now;
		}

		@Override
		public Instant instant() {
			return now;
		}

		@Override
		public java.time.ZoneId getZone() {
			return ZoneOffset.UTC;
		}

		@Override
		public Clock withZone(java.time.ZoneId zone) {
			return this;
		}
	}
}
