package org.bonemarrow.server.console.turnaround;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.temporal.IsoFields;
import java.time.temporal.TemporalAdjusters;

/** An ISO 8601 week (weeks start on Monday; week 1 holds the year's first Thursday). */
public record IsoWeek(int year, int week) implements Comparable<IsoWeek> {

	public static IsoWeek of(LocalDate date) {
		return new IsoWeek(date.get(IsoFields.WEEK_BASED_YEAR), date.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
	}

	public LocalDate monday() {
		return LocalDate.of(year, 1, 4).with(IsoFields.WEEK_OF_WEEK_BASED_YEAR, week)
				.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
	}

	public IsoWeek plusWeeks(int weeks) {
		return of(monday().plusWeeks(weeks));
	}

	/** {@code 2025-W06}. */
	public String label() {
		return String.format("%d-W%02d", year, week);
	}

	@Override
	public int compareTo(IsoWeek o) {
		return year != o.year ? Integer.compare(year, o.year) : Integer.compare(week, o.week);
	}

	@Override
	public String toString() {
		return label();
	}
}
