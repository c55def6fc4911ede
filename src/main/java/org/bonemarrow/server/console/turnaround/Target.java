package org.bonemarrow.server.console.turnaround;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A turnaround target: at most {@code amount} of {@code unit} between a segment's two milestones.
 * Written in application.yaml as {@code 72h}, {@code 7d} (calendar days) or {@code 3wd} (working days,
 * Monday to Friday minus the configured holidays).
 */
public record Target(int amount, Unit unit) {

	public enum Unit {
		HOURS("h", "h"),
		CALENDAR_DAYS("d", "days"),
		WORKING_DAYS("wd", "working days");

		private final String suffix;
		private final String label;

		Unit(String suffix, String label) {
			this.suffix = suffix;
			this.label = label;
		}

		public String suffix() {
			return suffix;
		}

		public String label() {
			return label;
		}
	}

	private static final Pattern SYNTAX = Pattern.compile("(\\d{1,4})\\s*(h|d|wd)");

	public Target {
		if (amount < 1 || unit == null) {
			throw new IllegalArgumentException("a turnaround target is a positive amount with a unit");
		}
	}

	/** {@code 72h}, {@code 7d}, {@code 3wd}; blank means no target (null). */
	public static Target parse(String text) {
		if (text == null || text.isBlank()) {
			return null;
		}
		Matcher m = SYNTAX.matcher(text.trim().toLowerCase(Locale.ROOT));
		if (!m.matches()) {
			throw new IllegalArgumentException("a turnaround target is <n>h, <n>d or <n>wd (hours, calendar days, "
					+ "working days), or empty for none; was '" + text + "'");
		}
		int amount = Integer.parseInt(m.group(1));
		Unit unit = switch (m.group(2)) {
			case "h" -> Unit.HOURS;
			case "d" -> Unit.CALENDAR_DAYS;
			default -> Unit.WORKING_DAYS;
		};
		return new Target(amount, unit);
	}

	/** {@code 72 h}, {@code 7 days}, {@code 3 working days}. */
	public String label() {
		return amount + " " + unit.label();
	}

	@Override
	public String toString() {
		return amount + unit.suffix();
	}
}
