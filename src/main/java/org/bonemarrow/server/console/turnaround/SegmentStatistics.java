package org.bonemarrow.server.console.turnaround;

/**
 * One segment over a set of exams (one week of orders).
 *
 * @param n            exams with both times of the segment known
 * @param median       of those, in {@code unit}; null when n = 0
 * @param p90          90th percentile (linear interpolation between closest ranks, as PERCENTILE.INC), in
 *                     {@code unit}; null when n = 0
 * @param withinShare  share of the n within the target (0..1); null without a target or when n = 0
 * @param unknown      exams where a time the segment needs is not stored (closed exams, or exams that moved
 *                     past it): counted here, never as zero
 * @param open         open exams still in or before the segment (running, overdue, waiting)
 */
public record SegmentStatistics(Segment segment, Target target, Target.Unit unit, int n, Double median, Double p90,
		Double withinShare, int unknown, int open) {
}
