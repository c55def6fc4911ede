package org.bonemarrow.server.console.turnaround;

import java.util.List;

/** One exam with its segments evaluated against the targets at a given moment. */
public record ExamTurnaround(ExamTimeline timeline, List<SegmentTime> segments, State state) {

	public enum State {
		/** Waiting for something, nothing past its target. */
		OPEN("open"),
		/** Open, and at least one running segment is past its target. */
		OVERDUE("overdue"),
		/** Final report in (or the order completed). */
		COMPLETE("complete"),
		/** Order revoked or entered in error. */
		CANCELLED("cancelled");

		private final String label;

		State(String label) {
			this.label = label;
		}

		public String label() {
			return label;
		}

		public String key() {
			return name().toLowerCase(java.util.Locale.ROOT);
		}
	}

	public ExamTurnaround {
		segments = List.copyOf(segments);
	}

	public SegmentTime segment(Segment s) {
		return segments.stream().filter(t -> t.segment() == s).findFirst().orElseThrow();
	}

	/** Still awaiting something (overdue included). */
	public boolean open() {
		return state == State.OPEN || state == State.OVERDUE;
	}
}
