package org.bonemarrow.server.console.turnaround;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The exam worklist and turnaround dashboard ({@code bonemarrow.console.turnaround.*} in application.yaml).
 *
 * @param targets        a target per segment: {@code <n>h}, {@code <n>d} (calendar days), {@code <n>wd}
 *                       (working days), or empty for none
 * @param timeZone       the lab's time zone: where days begin and end, and date-only order times start
 *                       (an IANA zone id; empty: the server's zone)
 * @param holidays       dates (yyyy-mm-dd) that are not working days, besides Saturdays and Sundays
 * @param dashboardWeeks how many ISO weeks (by order date) the dashboard shows by default, ending with the week
 *                       of the newest order (1..104)
 * @param noReportAfter  an order with no DiagnosticReport at all is listed under "no report" once it is this old
 *                       (1m..90d)
 */
@ConfigurationProperties("bonemarrow.console.turnaround")
public record TurnaroundProperties(
		@DefaultValue Targets targets,
		@DefaultValue("") String timeZone,
		List<String> holidays,
		@DefaultValue("12") int dashboardWeeks,
		@DefaultValue("24h") Duration noReportAfter) {

	/**
	 * Defaults only where a figure is published (issue 16): received -> preliminary 72 h (aspirate
	 * morphology within 24-72 h, Bristol SIHMDS) and received -> final 7 days (the integrated bone marrow
	 * report, Bristol SIHMDS). The others have none.
	 */
	public record Targets(
			@DefaultValue("") String orderedToCollected,
			@DefaultValue("") String collectedToReceived,
			@DefaultValue("72h") String receivedToPreliminary,
			@DefaultValue("") String preliminaryToFinal,
			@DefaultValue("7d") String receivedToFinal,
			@DefaultValue("") String orderedToFinal) {

		public Targets {
			// Parsed here so that a wrong value stops the start with the setting's name in the message.
			for (Map.Entry<Segment, String> e : raw(orderedToCollected, collectedToReceived, receivedToPreliminary,
					preliminaryToFinal, receivedToFinal, orderedToFinal).entrySet()) {
				try {
					Target.parse(e.getValue());
				} catch (IllegalArgumentException bad) {
					throw new IllegalArgumentException("bonemarrow.console.turnaround.targets." + e.getKey().key()
							+ ": " + bad.getMessage(), bad);
				}
			}
		}

		/** Each segment's target; segments without one are absent. */
		public Map<Segment, Target> bySegment() {
			Map<Segment, Target> out = new EnumMap<>(Segment.class);
			raw(orderedToCollected, collectedToReceived, receivedToPreliminary, preliminaryToFinal, receivedToFinal,
					orderedToFinal).forEach((segment, text) -> {
						Target t = Target.parse(text);
						if (t != null) {
							out.put(segment, t);
						}
					});
			return out;
		}

		private static Map<Segment, String> raw(String... values) {
			Map<Segment, String> out = new EnumMap<>(Segment.class);
			Segment[] segments = Segment.values();
			for (int i = 0; i < segments.length; i++) {
				out.put(segments[i], values[i]);
			}
			return out;
		}
	}

	public TurnaroundProperties {
		targets = targets == null ? new Targets("", "", "72h", "", "7d", "") : targets;
		holidays = holidays == null ? List.of() : List.copyOf(holidays);
		zone(timeZone);
		holidayDates(holidays);
		if (dashboardWeeks < 1 || dashboardWeeks > 104) {
			throw new IllegalArgumentException("bonemarrow.console.turnaround.dashboard-weeks must be 1..104, was "
					+ dashboardWeeks);
		}
		if (noReportAfter == null || noReportAfter.compareTo(Duration.ofMinutes(1)) < 0
				|| noReportAfter.compareTo(Duration.ofDays(90)) > 0) {
			throw new IllegalArgumentException("bonemarrow.console.turnaround.no-report-after must be 1m..90d, was "
					+ noReportAfter);
		}
	}

	public ZoneId zone() {
		return zone(timeZone);
	}

	public Set<LocalDate> holidayDates() {
		return holidayDates(holidays);
	}

	public WorkingCalendar calendar() {
		return new WorkingCalendar(zone(), holidayDates());
	}

	private static ZoneId zone(String id) {
		if (id == null || id.isBlank()) {
			return ZoneId.systemDefault();
		}
		try {
			return ZoneId.of(id.trim());
		} catch (DateTimeException e) {
			throw new IllegalArgumentException("bonemarrow.console.turnaround.time-zone must be an IANA zone id "
					+ "such as Europe/London, was " + id, e);
		}
	}

	private static Set<LocalDate> holidayDates(List<String> dates) {
		Set<LocalDate> out = new LinkedHashSet<>();
		for (String d : dates) {
			try {
				out.add(LocalDate.parse(d.trim()));
			} catch (DateTimeParseException e) {
				throw new IllegalArgumentException("bonemarrow.console.turnaround.holidays are dates as yyyy-mm-dd, "
						+ "was " + d, e);
			}
		}
		return out;
	}
}
