package org.bonemarrow.server.console.operations.web;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Times as the operations pages print them: UTC to the second, with the zone said, because the server, the
 * receivers and the person reading may each be in another time zone (the outbox and the audit trail store
 * instants). In the model as {@code times}: {@code ${times.of(row.lastAttempt)}}.
 */
public final class ConsoleTimes {

	static final ConsoleTimes INSTANCE = new ConsoleTimes();
	private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
			.withZone(ZoneOffset.UTC);

	/** Empty for none. */
	public String of(Instant instant) {
		return instant == null ? "" : FORMAT.format(instant);
	}

	/** For a {@code <time datetime>} attribute. */
	public String iso(Instant instant) {
		return instant == null ? "" : instant.toString();
	}
}
