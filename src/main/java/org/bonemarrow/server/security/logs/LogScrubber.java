package org.bonemarrow.server.security.logs;

import java.util.regex.Pattern;

/**
 * Blanks out the values a log line from a library quotes. HAPI, Hibernate and Tomcat put what a client
 * sent into their exception texts ({@code HAPI-1091: Invalid match URL "Patient?identifier=...|MRN..."},
 * an invalid birth date in quotes, a bad SQL parameter), and log those texts when a request fails. The
 * client gets them in its OperationOutcome; the log keeps their shape (HAPI code, what kind of error)
 * without the values. Pure; applied by the logging pattern ({@link ScrubbedMessageConverter},
 * {@link ScrubbedThrowableConverter}).
 */
public final class LogScrubber {

	static final String BLANK = "***";

	/** "..." and '...' on one line: HAPI and H2 quote client values this way. */
	private static final Pattern DOUBLE_QUOTED = Pattern.compile("\"[^\"\\r\\n]*\"");
	private static final Pattern SINGLE_QUOTED = Pattern.compile("'[^'\\r\\n]*'");
	/** Search and match URL parameter values: {@code ?family=Smith&identifier=x|123}. */
	private static final Pattern QUERY_VALUE = Pattern.compile("([?&][A-Za-z0-9_:.\\-]+=)[^&\\s\"'\\]\\)]*");
	/** Characters that cannot be shown (a lone surrogate, control characters) are not echoed either. */
	private static final Pattern UNPRINTABLE = Pattern.compile("[\\p{Cs}\\p{Cc}&&[^\\r\\n\\t]]");

	private LogScrubber() {}

	public static String scrub(String text) {
		if (text == null || text.isEmpty()) {
			return text;
		}
		String s = DOUBLE_QUOTED.matcher(text).replaceAll("\"" + BLANK + "\"");
		s = SINGLE_QUOTED.matcher(s).replaceAll("'" + BLANK + "'");
		s = QUERY_VALUE.matcher(s).replaceAll("$1" + BLANK);
		return UNPRINTABLE.matcher(s).replaceAll("?");
	}

	/** Our own loggers are written never to quote patient data (NoPatientDataInLogsTest), so they stay readable. */
	static boolean isOwn(String loggerName) {
		return loggerName != null && loggerName.startsWith("org.bonemarrow.");
	}
}
