package org.bonemarrow.server.console.turnaround;

import java.time.Duration;

/**
 * One segment of one exam: how long it took (or has taken so far) and how that compares with its target.
 *
 * @param elapsed  the time from the start milestone to the end milestone, or to now while running; null when
 *                 unknown or waiting
 * @param value    elapsed in the segment's unit ({@link #unit()}): hours, calendar days or working days; null
 *                 with elapsed
 * @param target   null when the segment has no target
 */
public record SegmentTime(Segment segment, Badge badge, Duration elapsed, Double value, Target.Unit unit, Target target) {

	public enum Badge {
		/** Both times known, within the target. */
		WITHIN("within target", true),
		/** Both times known, over the target. */
		OVER("over target", true),
		/** Both times known, no target to compare with. */
		DONE("done", true),
		/** Open exam, start known, end not yet: running, not past the target (or no target). */
		RUNNING("running", false),
		/** Open exam, start known, end not yet, already past the target. */
		OVERDUE("overdue", false),
		/** Open exam that has not reached the start of this segment yet. */
		WAITING("waiting", false),
		/** A time the segment needs is not stored (or the two contradict each other); never counted as zero. */
		UNKNOWN("unknown", false);

		private final String label;
		private final boolean measured;

		Badge(String label, boolean measured) {
			this.label = label;
			this.measured = measured;
		}

		public String label() {
			return label;
		}

		/** Both ends known: the segment's time counts in the statistics. */
		public boolean measured() {
			return measured;
		}

		/** Still going on in an open exam. */
		public boolean open() {
			return this == RUNNING || this == OVERDUE || this == WAITING;
		}

		/** The settings/CSS key: {@code within}, {@code overdue}, ... */
		public String key() {
			return name().toLowerCase(java.util.Locale.ROOT);
		}
	}

	/** {@code 52.3 h}, {@code 2.1 working days}; empty when unknown. */
	public String elapsedLabel() {
		if (value == null) {
			return "";
		}
		return String.format(java.util.Locale.ROOT, "%.1f %s", value, unit.label());
	}
}
