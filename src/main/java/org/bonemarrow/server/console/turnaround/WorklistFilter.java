package org.bonemarrow.server.console.turnaround;

import java.time.Instant;
import java.util.Locale;

/** The worklist's state filter ({@code ?state=}). */
public enum WorklistFilter {
	ALL("all"),
	/** Waiting for something (overdue ones included). */
	OPEN("open (waiting)"),
	OVERDUE("overdue"),
	COMPLETE("complete"),
	/**
	 * Orders without any DiagnosticReport, older than {@code no-report-after}: what an integration engineer
	 * chases (the result never came, or was refused). Cancelled orders are left out.
	 */
	NO_REPORT("no report");

	private final String label;

	WorklistFilter(String label) {
		this.label = label;
	}

	public String label() {
		return label;
	}

	/** {@code no-report}. */
	public String key() {
		return name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

	/** From the query parameter; unknown or empty values mean ALL. */
	public static WorklistFilter parse(String value) {
		if (value != null) {
			for (WorklistFilter f : values()) {
				if (f.key().equalsIgnoreCase(value.trim()) || f.name().equalsIgnoreCase(value.trim())) {
					return f;
				}
			}
		}
		return ALL;
	}

	/** @param noReportBefore orders older than this (by order time, else first stored) count as "no report" */
	public boolean matches(ExamTurnaround exam, Instant noReportBefore) {
		return switch (this) {
			case ALL -> true;
			case OPEN -> exam.open();
			case OVERDUE -> exam.state() == ExamTurnaround.State.OVERDUE;
			case COMPLETE -> exam.state() == ExamTurnaround.State.COMPLETE;
			case NO_REPORT -> {
				ExamTimeline t = exam.timeline();
				Instant since = t.at(Milestone.ORDERED) != null ? t.at(Milestone.ORDERED) : t.recorded();
				yield t.reports() == 0 && !t.cancelled() && since != null && since.isBefore(noReportBefore);
			}
		};
	}
}
