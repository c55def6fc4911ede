package org.bonemarrow.server.storage;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The embedded H2 database's file ({@code bonemarrow.h2.*} in application.yaml). No effect on PostgreSQL.
 *
 * @param compaction keeping the file near the size of its live data while the server runs
 */
@ConfigurationProperties("bonemarrow.h2")
public record H2StorageProperties(@DefaultValue Compaction compaction) {

	/**
	 * @param enabled  whether the server compacts the file while it runs (true | false). Off, the file grows by
	 *                 every commit's superseded pages until a normal stop compacts it
	 * @param interval pause between two compaction passes (100ms..1m)
	 * @param passTime the most one pass may take; it works in small steps, each of which holds H2's store lock
	 *                 while it runs, so a request's commit waits for at most one step (10ms..10s)
	 */
	public record Compaction(
			@DefaultValue("true") boolean enabled,
			@DefaultValue("500ms") Duration interval,
			@DefaultValue("100ms") Duration passTime) {

		public Compaction {
			check(interval, Duration.ofMillis(100), Duration.ofMinutes(1), "interval");
			check(passTime, Duration.ofMillis(10), Duration.ofSeconds(10), "pass-time");
		}

		private static void check(Duration value, Duration min, Duration max, String name) {
			if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
				throw new IllegalArgumentException("bonemarrow.h2.compaction." + name + " must be " + min + ".." + max
						+ " (ISO-8601 or 100ms, 1s, 1m), was " + value);
			}
		}
	}
}
