package org.bonemarrow.server.console.turnaround;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turnaround per exam and per week, from timelines alone (no storage): pure and exact under a fixed
 * {@link Clock}. A missing time is "unknown", never zero; an open exam's running segment runs to now.
 */
public final class TurnaroundCalculator {

	private final Map<Segment, Target> targets;
	private final WorkingCalendar calendar;
	private final Clock clock;

	public TurnaroundCalculator(Map<Segment, Target> targets, WorkingCalendar calendar, Clock clock) {
		this.targets = targets.isEmpty() ? Map.of() : new EnumMap<>(targets);
		this.calendar = calendar;
		this.clock = clock;
	}

	public static TurnaroundCalculator of(TurnaroundProperties properties, Clock clock) {
		return new TurnaroundCalculator(properties.targets().bySegment(), properties.calendar(), clock);
	}

	public Target target(Segment s) {
		return targets.get(s);
	}

	/** A segment is measured in its target's unit; without a target, in hours. */
	public Target.Unit unit(Segment s) {
		Target t = targets.get(s);
		return t == null ? Target.Unit.HOURS : t.unit();
	}

	public WorkingCalendar calendar() {
		return calendar;
	}

	public Instant now() {
		return clock.instant();
	}

	public ExamTurnaround evaluate(ExamTimeline timeline) {
		Instant now = clock.instant();
		boolean open = !timeline.cancelled() && !timeline.complete();
		List<SegmentTime> segments = new ArrayList<>();
		boolean overdue = false;
		for (Segment s : Segment.values()) {
			SegmentTime t = segment(timeline, s, open, now);
			overdue |= t.badge() == SegmentTime.Badge.OVERDUE;
			segments.add(t);
		}
		ExamTurnaround.State state = timeline.cancelled() ? ExamTurnaround.State.CANCELLED
				: timeline.complete() ? ExamTurnaround.State.COMPLETE
				: overdue ? ExamTurnaround.State.OVERDUE
				: ExamTurnaround.State.OPEN;
		return new ExamTurnaround(timeline, segments, state);
	}

	private SegmentTime segment(ExamTimeline timeline, Segment s, boolean open, Instant now) {
		Instant start = timeline.at(s.from());
		Instant end = timeline.at(s.to());
		Target target = targets.get(s);
		if (start != null && end != null) {
			if (end.isBefore(start)) {
				// The stored times contradict each other (e.g. received before collected): not a time to count.
				return unknown(s, target);
			}
			double value = measure(s, start, end);
			SegmentTime.Badge badge = target == null ? SegmentTime.Badge.DONE
					: value <= target.amount() ? SegmentTime.Badge.WITHIN : SegmentTime.Badge.OVER;
			return new SegmentTime(s, badge, Duration.between(start, end), value, unit(s), target);
		}
		// The end is missing. If the exam is closed, or has moved past the end already, it is not coming.
		if (!open || end != null || timeline.hasLaterThan(s.to())) {
			return unknown(s, target);
		}
		if (start == null) {
			// Open and the segment has not begun, unless the exam has moved past its start without a time for it.
			// The order time is never awaited: without authoredOn the order's segments are unknown.
			return s.from() == Milestone.ORDERED || timeline.hasLaterThan(s.from()) ? unknown(s, target)
					: new SegmentTime(s, SegmentTime.Badge.WAITING, null, null, unit(s), target);
		}
		if (now.isBefore(start)) {
			return unknown(s, target);
		}
		double value = measure(s, start, now);
		SegmentTime.Badge badge = target != null && value > target.amount() ? SegmentTime.Badge.OVERDUE
				: SegmentTime.Badge.RUNNING;
		return new SegmentTime(s, badge, Duration.between(start, now), value, unit(s), target);
	}

	private SegmentTime unknown(Segment s, Target target) {
		return new SegmentTime(s, SegmentTime.Badge.UNKNOWN, null, null, unit(s), target);
	}

	private double measure(Segment s, Instant start, Instant end) {
		return switch (unit(s)) {
			case HOURS -> Duration.between(start, end).toMillis() / 3_600_000.0;
			case CALENDAR_DAYS -> calendar.calendarDays(start, end);
			case WORKING_DAYS -> calendar.workingDays(start, end);
		};
	}

	/** The ISO week an exam is grouped under: that of its order time in the lab's zone; null when unknown. */
	public IsoWeek week(ExamTimeline timeline) {
		Instant ordered = timeline.at(Milestone.ORDERED);
		return ordered == null ? null : IsoWeek.of(ordered.atZone(calendar.zone()).toLocalDate());
	}

	/**
	 * Statistics per ISO week of the order, for every week from {@code first} to {@code last} (weeks without
	 * exams included, with n = 0). Exams outside the range or without an order time are left out.
	 */
	public List<WeekStatistics> weekly(List<ExamTurnaround> exams, IsoWeek first, IsoWeek last) {
		Map<IsoWeek, List<ExamTurnaround>> byWeek = new TreeMap<>();
		for (IsoWeek w = first; w.compareTo(last) <= 0; w = w.plusWeeks(1)) {
			byWeek.put(w, new ArrayList<>());
		}
		for (ExamTurnaround e : exams) {
			IsoWeek w = week(e.timeline());
			if (w != null && byWeek.containsKey(w)) {
				byWeek.get(w).add(e);
			}
		}
		List<WeekStatistics> out = new ArrayList<>();
		byWeek.forEach((week, list) -> out.add(statistics(week, list)));
		return out;
	}

	/** Statistics of any set of exams (one week's, or all of them: week null). */
	public WeekStatistics statistics(IsoWeek week, List<ExamTurnaround> exams) {
		List<SegmentStatistics> segments = new ArrayList<>();
		for (Segment s : Segment.values()) {
			segments.add(segmentStatistics(s, exams));
		}
		int finals = 0;
		int amended = 0;
		for (ExamTurnaround e : exams) {
			if (e.timeline().at(Milestone.FINAL) != null) {
				finals++;
				if (e.timeline().amended()) {
					amended++;
				}
			}
		}
		return new WeekStatistics(week, exams.size(), segments, finals, amended);
	}

	private SegmentStatistics segmentStatistics(Segment s, List<ExamTurnaround> exams) {
		Target target = targets.get(s);
		List<Double> values = new ArrayList<>();
		int within = 0;
		int unknown = 0;
		int open = 0;
		for (ExamTurnaround e : exams) {
			SegmentTime t = e.segment(s);
			if (t.badge().measured()) {
				values.add(t.value());
				if (t.badge() == SegmentTime.Badge.WITHIN) {
					within++;
				}
			} else if (t.badge().open()) {
				open++;
			} else if (e.state() != ExamTurnaround.State.CANCELLED) {
				// A cancelled exam's missing times are not missing data: nothing more was going to happen.
				unknown++;
			}
		}
		int n = values.size();
		double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
		return new SegmentStatistics(s, target, unit(s), n, n == 0 ? null : percentile(sorted, 0.5),
				n == 0 ? null : percentile(sorted, 0.9), target == null || n == 0 ? null : (double) within / n,
				unknown, open);
	}

	/**
	 * The p-quantile of sorted values by linear interpolation between closest ranks (Hyndman and Fan type 7,
	 * the default of R, NumPy and spreadsheet PERCENTILE.INC): the median of 1, 2, 3, 4 is 2.5.
	 */
	static double percentile(double[] sorted, double p) {
		if (sorted.length == 0) {
			throw new IllegalArgumentException("no values");
		}
		double[] v = Arrays.copyOf(sorted, sorted.length);
		Arrays.sort(v);
		double h = (v.length - 1) * p;
		int lo = (int) Math.floor(h);
		int hi = Math.min(lo + 1, v.length - 1);
		return v[lo] + (h - lo) * (v[hi] - v[lo]);
	}
}
