package org.bonemarrow.server.security.backend;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code jti} values of client assertions already used, per client, so that an assertion is accepted
 * once (SMART Backend Services, "Authenticating": the server must reject an assertion whose jti it has seen
 * before). An entry is kept until its assertion expires (plus the clock skew the checks allow); after that
 * the assertion is refused as expired anyway, so the window stays as small as the set of live assertions,
 * at most five minutes of them.
 *
 * <p>In memory per instance: with several instances (docs/scaling.md) an assertion replayed to another
 * instance within its few minutes of life is accepted there once more.
 */
public final class JtiReplayWindow {

	private final Map<String, Instant> seen = new ConcurrentHashMap<>();
	private final Clock clock;

	public JtiReplayWindow(Clock clock) {
		this.clock = clock;
	}

	/**
	 * Records the jti and tells whether this is its first use by this client.
	 *
	 * @param keepUntil when the assertion stops being acceptable anyway
	 */
	public boolean firstUse(String clientId, String jti, Instant keepUntil) {
		Instant now = clock.instant();
		seen.values().removeIf(until -> until.isBefore(now));
		// The client id is URL-safe (BackendClients), so the separator cannot be forged by a jti.
		return seen.putIfAbsent(clientId + " " + jti, keepUntil) == null;
	}

	/** Entries held: live assertions only. */
	int size() {
		return seen.size();
	}
}
