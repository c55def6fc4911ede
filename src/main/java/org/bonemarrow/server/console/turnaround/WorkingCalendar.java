package org.bonemarrow.server.console.turnaround;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Set;

/**
 * Days as the lab counts them, in one time zone: calendar days, and working days (Monday to Friday, not a
 * holiday). Elapsed time is measured in days as the sum, over each local date the interval touches, of
 * the share of that date it covers; a working-day measure counts only working dates. So a report received
 * on Friday 14:30 and issued on Tuesday 14:30 took 2 working days, and a 23-hour or 25-hour day at a
 * daylight saving change still counts as one day.
 */
public final class WorkingCalendar {

	private final ZoneId zone;
	private final Set<LocalDate> holidays;

	public WorkingCalendar(ZoneId zone, Set<LocalDate> holidays) {
		this.zone = zone;
		this.holidays = Set.copyOf(holidays);
	}

	public ZoneId zone() {
		return zone;
	}

	public boolean isWorkingDay(LocalDate date) {
		DayOfWeek d = date.getDayOfWeek();
		return d != DayOfWeek.SATURDAY && d != DayOfWeek.SUNDAY && !holidays.contains(date);
	}

	/** Calendar days from start to end (fractional); 0 when end is not after start. */
	public double calendarDays(Instant start, Instant end) {
		return days(start, end, false);
	}

	/** Working days from start to end (fractional): only the parts that fall on working dates count. */
	public double workingDays(Instant start, Instant end) {
		return days(start, end, true);
	}

	private double days(Instant start, Instant end, boolean workingOnly) {
		if (!end.isAfter(start)) {
			return 0;
		}
		double total = 0;
		LocalDate date = start.atZone(zone).toLocalDate();
		LocalDate last = end.atZone(zone).toLocalDate();
		while (!date.isAfter(last)) {
			if (!workingOnly || isWorkingDay(date)) {
				Instant dayStart = date.atStartOfDay(zone).toInstant();
				Instant dayEnd = date.plusDays(1).atStartOfDay(zone).toInstant();
				Instant from = start.isAfter(dayStart) ? start : dayStart;
				Instant to = end.isBefore(dayEnd) ? end : dayEnd;
				if (to.isAfter(from)) {
					total += (double) Duration.between(from, to).toMillis() / Duration.between(dayStart, dayEnd).toMillis();
				}
			}
			date = date.plusDays(1);
		}
		return total;
	}
}
