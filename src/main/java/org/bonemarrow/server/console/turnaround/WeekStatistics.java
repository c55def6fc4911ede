package org.bonemarrow.server.console.turnaround;

import java.util.List;

/**
 * The exams ordered in one ISO week (by ServiceRequest.authoredOn in the lab's time zone).
 *
 * @param exams        exams ordered that week (cancelled ones included, they have no measured segments)
 * @param finals       of those, exams with a final report
 * @param amended      of those, exams with an amended, corrected or appended report
 */
public record WeekStatistics(IsoWeek week, int exams, List<SegmentStatistics> segments, int finals, int amended) {

	public WeekStatistics {
		segments = List.copyOf(segments);
	}

	public SegmentStatistics segment(Segment s) {
		return segments.stream().filter(x -> x.segment() == s).findFirst().orElseThrow();
	}

	/** Amended reports per exam with a final report; null when none had one. */
	public Double amendedRate() {
		return finals == 0 ? null : (double) amended / finals;
	}
}
