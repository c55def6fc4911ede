package org.bonemarrow.server.console.turnaround;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bonemarrow.server.console.turnaround.ExamTimelineReader.OrderQuery;

/**
 * The worklist (exams newest first, filtered by state, paged) and the dashboard's weekly statistics: the
 * reader's timelines evaluated by the calculator. A state is computed, not stored, so a filtered page is
 * found by reading orders newest first a chunk at a time until the page is full (open and overdue only
 * look at orders whose status is still open); at most {@value #MAX_SCAN} orders are looked at per request,
 * and a page that stopped there says so.
 */
public final class ExamWorklist {

	static final int CHUNK = 100;
	static final int MAX_SCAN = 10_000;
	public static final int MAX_PAGE_SIZE = 100;

	private final ExamTimelineReader reader;
	private final TurnaroundCalculator calculator;
	private final TurnaroundProperties properties;

	public ExamWorklist(ExamTimelineReader reader, TurnaroundCalculator calculator, TurnaroundProperties properties) {
		this.reader = reader;
		this.calculator = calculator;
		this.properties = properties;
	}

	public TurnaroundCalculator calculator() {
		return calculator;
	}

	/**
	 * @param rows      this page's exams
	 * @param hasNext   there is at least one more matching exam after this page
	 * @param truncated the search stopped after {@value #MAX_SCAN} orders: older matches may exist
	 */
	public record Page(WorklistFilter filter, int page, int size, List<ExamTurnaround> rows, boolean hasNext,
			boolean truncated) {
		public Page {
			rows = List.copyOf(rows);
		}
	}

	public Page page(WorklistFilter filter, int page, int size) {
		int p = Math.max(page, 0);
		int s = Math.min(Math.max(size, 1), MAX_PAGE_SIZE);
		if (filter == WorklistFilter.ALL) {
			// Every exam order is a row: the database pages.
			List<ExamTimeline> slice = reader.timelines(OrderQuery.ALL, p * s, s + 1);
			List<ExamTurnaround> rows = new ArrayList<>();
			for (int i = 0; i < Math.min(s, slice.size()); i++) {
				rows.add(calculator.evaluate(slice.get(i)));
			}
			return new Page(filter, p, s, rows, slice.size() > s, false);
		}
		OrderQuery query = filter == WorklistFilter.OPEN || filter == WorklistFilter.OVERDUE ? OrderQuery.OPEN : OrderQuery.ALL;
		Instant noReportBefore = calculator.now().minus(properties.noReportAfter());
		int skip = p * s;
		List<ExamTurnaround> rows = new ArrayList<>();
		int scanned = 0;
		while (scanned < MAX_SCAN) {
			List<ExamTimeline> chunk = reader.timelines(query, scanned, CHUNK);
			scanned += CHUNK;
			for (ExamTimeline t : chunk) {
				ExamTurnaround e = calculator.evaluate(t);
				if (!filter.matches(e, noReportBefore)) {
					continue;
				}
				if (skip > 0) {
					skip--;
				} else if (rows.size() < s) {
					rows.add(e);
				} else {
					return new Page(filter, p, s, rows, true, false);
				}
			}
			if (chunk.size() < CHUNK) {
				return new Page(filter, p, s, rows, false, false);
			}
		}
		return new Page(filter, p, s, rows, false, true);
	}

	/**
	 * @param weeks        one row per ISO week of the order, oldest first
	 * @param overall      the same statistics over all the weeks' exams
	 * @param overdueOpen  open exams past a target now, of any age (what the worklist's overdue filter lists)
	 * @param computedAt   the "now" running segments were measured to
	 * @param newestOrder  the week of the newest order stored (null when there is none): the default period
	 *                     ends with it
	 */
	public record Dashboard(IsoWeek first, IsoWeek last, List<WeekStatistics> weeks, WeekStatistics overall,
			int overdueOpen, Instant computedAt, IsoWeek newestOrder, boolean truncated) {
		public Dashboard {
			weeks = List.copyOf(weeks);
		}
	}

	/** The longest period the dashboard computes at once, in weeks. */
	public static final int MAX_WEEKS = 104;

	/**
	 * The default period: {@code dashboard-weeks} ISO weeks ending with the week of the newest order (not
	 * this week: a server holding last year's exams, like the samples, shows them), or this week when there
	 * are no orders.
	 */
	public Dashboard dashboard() {
		IsoWeek newest = newestOrderWeek();
		IsoWeek last = newest != null ? newest : IsoWeek.of(calculator.now().atZone(properties.zone()).toLocalDate());
		return dashboard(last.plusWeeks(-(properties.dashboardWeeks() - 1)), last, newest);
	}

	/** The ISO weeks from {@code first} to {@code last} (at most {@value #MAX_WEEKS}, counted back from last). */
	public Dashboard dashboard(IsoWeek first, IsoWeek last) {
		return dashboard(first, last, newestOrderWeek());
	}

	private Dashboard dashboard(IsoWeek first, IsoWeek last, IsoWeek newest) {
		if (first.compareTo(last) > 0) {
			IsoWeek swap = first;
			first = last;
			last = swap;
		}
		if (first.compareTo(last.plusWeeks(-(MAX_WEEKS - 1))) < 0) {
			first = last.plusWeeks(-(MAX_WEEKS - 1));
		}
		Instant now = calculator.now();
		Instant since = first.monday().atStartOfDay(properties.zone()).toInstant();
		Instant before = last.plusWeeks(1).monday().atStartOfDay(properties.zone()).toInstant();
		List<ExamTurnaround> exams = new ArrayList<>();
		boolean truncated = readAll(OrderQuery.between(since, before), exams);
		List<ExamTurnaround> open = new ArrayList<>();
		truncated |= readAll(OrderQuery.OPEN, open);
		int overdue = (int) open.stream().filter(e -> e.state() == ExamTurnaround.State.OVERDUE).count();
		IsoWeek from = first;
		IsoWeek to = last;
		List<ExamTurnaround> inRange = exams.stream().filter(e -> {
			IsoWeek w = calculator.week(e.timeline());
			return w != null && w.compareTo(from) >= 0 && w.compareTo(to) <= 0;
		}).toList();
		return new Dashboard(from, to, calculator.weekly(inRange, from, to), calculator.statistics(null, inRange), overdue,
				now, newest, truncated);
	}

	/** The ISO week of the newest known order time, or null without orders. */
	IsoWeek newestOrderWeek() {
		// Orders without authoredOn may sort first on some databases: the newest known time of the first chunk.
		return reader.timelines(OrderQuery.ALL, 0, CHUNK).stream().map(calculator::week).filter(java.util.Objects::nonNull)
				.max(IsoWeek::compareTo).orElse(null);
	}

	/** Reads every order of the query (up to MAX_SCAN); true when it stopped there. */
	private boolean readAll(OrderQuery query, List<ExamTurnaround> into) {
		for (int offset = 0; offset < MAX_SCAN; offset += CHUNK) {
			List<ExamTimeline> chunk = reader.timelines(query, offset, CHUNK);
			chunk.forEach(t -> into.add(calculator.evaluate(t)));
			if (chunk.size() < CHUNK) {
				return false;
			}
		}
		return true;
	}
}
