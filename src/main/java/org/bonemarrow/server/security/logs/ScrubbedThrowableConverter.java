package org.bonemarrow.server.security.logs;

import ch.qos.logback.classic.spi.IThrowableProxy;
import org.springframework.boot.logging.logback.ExtendedWhitespaceThrowableProxyConverter;

/**
 * {@code %wEx} of the log pattern (logback-spring.xml): stack traces as Spring Boot prints them, with the
 * values their exception messages quote blanked, whoever logged them (an exception's text comes from the
 * library that threw it).
 */
public class ScrubbedThrowableConverter extends ExtendedWhitespaceThrowableProxyConverter {

	@Override
	protected String throwableProxyToString(IThrowableProxy proxy) {
		return LogScrubber.scrub(super.throwableProxyToString(proxy));
	}
}
