package org.bonemarrow.server.security.logs;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/** {@code %m} of the log pattern (logback-spring.xml): library messages with the values they quote blanked. */
public class ScrubbedMessageConverter extends MessageConverter {

	@Override
	public String convert(ILoggingEvent event) {
		String message = super.convert(event);
		return LogScrubber.isOwn(event.getLoggerName()) ? message : LogScrubber.scrub(message);
	}
}
