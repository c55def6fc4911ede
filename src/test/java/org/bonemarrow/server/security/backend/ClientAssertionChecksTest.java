package org.bonemarrow.server.security.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.Jwt;

/**
 * The claim checks of a verified client assertion (SMART Backend Services, "Authenticating") and the jti
 * replay window, on a clock of their own.
 */
class ClientAssertionChecksTest {

	private static final String TOKEN_URL = "https://fhir.hospital.example/oauth2/token";
	private final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T12:00:00Z"));
	private final JtiReplayWindow replays = new JtiReplayWindow(clock);
	private final ClientAssertionChecks checks = new ClientAssertionChecks("acme-lis", () -> List.of(TOKEN_URL), replays, clock);

	@Test
	void aGoodAssertionPasses_once() {
		assertThat(checks.validate(assertion(b -> b.jti("j1"))).hasErrors()).isFalse();
		assertThat(refusal(assertion(b -> b.jti("j1")))).contains("jti has been used before");
		// Another client may use the same jti.
		ClientAssertionChecks other = new ClientAssertionChecks("ward-ehr", () -> List.of(TOKEN_URL), replays, clock);
		assertThat(other.validate(assertion(b -> b.jti("j1").issuer("ward-ehr").subject("ward-ehr"))).hasErrors()).isFalse();
	}

	@Test
	void eachCheckSaysWhatFailed() {
		assertThat(refusal(assertion(b -> b.issuer("ward-ehr")))).isEqualTo("iss must be the client_id");
		assertThat(refusal(assertion(b -> b.subject("ward-ehr")))).isEqualTo("sub must be the client_id");
		assertThat(refusal(assertion(b -> b.audience(List.of("https://fhir.hospital.example/fhir")))))
				.isEqualTo("aud must be this server's token endpoint URL");
		assertThat(refusal(assertion(b -> b.claims(c -> c.remove("exp"))))).isEqualTo("exp is required");
		assertThat(refusal(assertion(b -> b.expiresAt(clock.instant().minus(Duration.ofMinutes(2))))))
				.contains("expired");
		assertThat(refusal(assertion(b -> b.expiresAt(clock.instant().plus(Duration.ofMinutes(7))))))
				.contains("at most 5 minutes");
		assertThat(refusal(assertion(b -> b.notBefore(clock.instant().plus(Duration.ofMinutes(3))))))
				.contains("not valid yet");
		assertThat(refusal(assertion(b -> b.claims(c -> c.remove("jti"))))).contains("jti is required");
		assertThat(refusal(assertion(b -> b.jti("x".repeat(256))))).contains("jti is required");
	}

	@Test
	void aRefusedAssertionDoesNotUseUpItsJti() {
		assertThat(refusal(assertion(b -> b.jti("j2").audience(List.of("https://elsewhere.example/token"))))).contains("aud");
		assertThat(checks.validate(assertion(b -> b.jti("j2"))).hasErrors()).isFalse();
	}

	@Test
	void clocksMayDifferByAMinute() {
		assertThat(checks.validate(assertion(b -> b.expiresAt(clock.instant().minusSeconds(30)))).hasErrors()).isFalse();
		assertThat(checks.validate(assertion(b -> b.expiresAt(clock.instant().plus(Duration.ofMinutes(5)).plusSeconds(30))))
				.hasErrors()).isFalse();
	}

	@Test
	void theTokenUrlMayBeWrittenWithTheDefaultPortOrATrailingSlash() {
		assertThat(checks.validate(assertion(b -> b.audience(List.of("https://FHIR.hospital.example:443/oauth2/token/"))))
				.hasErrors()).isFalse();
		assertThat(checks.validate(assertion(b -> b.audience(List.of("other", TOKEN_URL)))).hasErrors()).isFalse();
		assertThat(ClientAssertionChecks.normalized("http://h:8080/oauth2/token"))
				.isNotEqualTo(ClientAssertionChecks.normalized("http://h/oauth2/token"));
		assertThat(ClientAssertionChecks.normalized("https://h/oauth2/token?x=1")).isNull();
	}

	@Test
	void theReplayWindowForgetsAJtiOnceItsAssertionHasExpired() {
		assertThat(replays.firstUse("acme-lis", "a", clock.instant().plus(Duration.ofMinutes(6)))).isTrue();
		assertThat(replays.firstUse("acme-lis", "b", clock.instant().plus(Duration.ofMinutes(2)))).isTrue();
		assertThat(replays.firstUse("acme-lis", "a", clock.instant().plus(Duration.ofMinutes(6)))).isFalse();
		clock.advance(Duration.ofMinutes(3));
		assertThat(replays.firstUse("acme-lis", "c", clock.instant().plus(Duration.ofMinutes(1)))).isTrue();
		assertThat(replays.size()).isEqualTo(2);
		clock.advance(Duration.ofMinutes(4));
		assertThat(replays.firstUse("acme-lis", "d", clock.instant().plus(Duration.ofMinutes(1)))).isTrue();
		assertThat(replays.size()).isEqualTo(1);
	}

	private String refusal(Jwt assertion) {
		OAuth2TokenValidatorResult result = checks.validate(assertion);
		assertThat(result.hasErrors()).isTrue();
		return result.getErrors().iterator().next().getDescription();
	}

	private Jwt assertion(UnaryOperator<Jwt.Builder> change) {
		Jwt.Builder builder = Jwt.withTokenValue("t").header("alg", "RS384")
				.issuer("acme-lis").subject("acme-lis").audience(List.of(TOKEN_URL))
				.expiresAt(clock.instant().plus(Duration.ofMinutes(4)))
				.jti(java.util.UUID.randomUUID().toString());
		return change.apply(builder).build();
	}

	private static final class MutableClock extends Clock {
		private Instant now;

		MutableClock(Instant now) {
			this.now = now;
		}

		void advance(Duration duration) {
			now = now.plus(duration);
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
