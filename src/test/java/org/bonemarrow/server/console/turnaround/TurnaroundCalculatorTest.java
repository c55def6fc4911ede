package org.bonemarrow.server.console.turnaround;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bonemarrow.server.console.turnaround.ExamTurnaround.State;
import org.bonemarrow.server.console.turnaround.SegmentTime.Badge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The turnaround arithmetic without a server: fixed clock, fixed zone. */
class TurnaroundCalculatorTest {

	private static final ZoneId LONDON = ZoneId.of("Europe/London");
	/** Wednesday 2025-02-12 12:00 UTC (London is on UTC in February). */
	private static final Instant NOW = Instant.parse("2025-02-12T12:00:00Z");
	private static final TurnaroundProperties DEFAULTS = new TurnaroundProperties(null, "Europe/London", null, 12,
			Duration.ofHours(24));

	private static TurnaroundCalculator calculator(Map<Segment, Target> targets, Instant now, Set<LocalDate> holidays) {
		return new TurnaroundCalculator(targets, new WorkingCalendar(LONDON, holidays), Clock.fixed(now, ZoneOffset.UTC));
	}

	private static TurnaroundCalculator defaults(Instant now) {
		return calculator(DEFAULTS.targets().bySegment(), now, Set.of());
	}

	private static ExamTimeline exam(String status, String ordered, String collected, String received,
			String preliminary, String finalReport, int reports, boolean amended) {
		Map<Milestone, Instant> times = new EnumMap<>(Milestone.class);
		put(times, Milestone.ORDERED, ordered);
		put(times, Milestone.COLLECTED, collected);
		put(times, Milestone.RECEIVED, received);
		put(times, Milestone.PRELIMINARY, preliminary);
		put(times, Milestone.FINAL, finalReport);
		return new ExamTimeline("ServiceRequest/1", "Bone marrow aspiration", "Patient/1", "Alex Testperson", status,
				Instant.parse("2025-02-01T00:00:00Z"), times, reports, amended);
	}

	private static void put(Map<Milestone, Instant> times, Milestone m, String value) {
		if (value != null) {
			times.put(m, Instant.parse(value));
		}
	}

	// ------------------------------------------------------------------ targets and settings

	@ParameterizedTest
	@CsvSource({
		"72h, 72, HOURS",
		"7d, 7, CALENDAR_DAYS",
		"3wd, 3, WORKING_DAYS",
		" 4WD , 4, WORKING_DAYS",
	})
	void targetsAreParsedWithTheirUnit(String text, int amount, Target.Unit unit) {
		assertThat(Target.parse(text)).isEqualTo(new Target(amount, unit));
	}

	@Test
	void aBlankTargetIsNoTargetAndAWrongOneIsRefused() {
		assertThat(Target.parse("")).isNull();
		assertThat(Target.parse(null)).isNull();
		assertThatThrownBy(() -> Target.parse("3 weeks")).hasMessageContaining("<n>h, <n>d or <n>wd");
		assertThatThrownBy(() -> Target.parse("0h")).isInstanceOf(IllegalArgumentException.class);
	}

	@Test
	void defaultTargetsAreOnlyThePublishedOnes() {
		assertThat(DEFAULTS.targets().bySegment()).containsOnly(
				Map.entry(Segment.RECEIVED_TO_PRELIMINARY, new Target(72, Target.Unit.HOURS)),
				Map.entry(Segment.RECEIVED_TO_FINAL, new Target(7, Target.Unit.CALENDAR_DAYS)));
	}

	@Test
	void wrongSettingsStopTheStartNamingTheSetting() {
		assertThatThrownBy(() -> new TurnaroundProperties.Targets("", "", "3 days", "", "7d", ""))
				.hasMessageContaining("bonemarrow.console.turnaround.targets.received-to-preliminary");
		assertThatThrownBy(() -> new TurnaroundProperties(null, "Mars/Olympus", null, 12, Duration.ofHours(24)))
				.hasMessageContaining("time-zone");
		assertThatThrownBy(() -> new TurnaroundProperties(null, "", List.of("25/12/2026"), 12, Duration.ofHours(24)))
				.hasMessageContaining("holidays");
		assertThatThrownBy(() -> new TurnaroundProperties(null, "", null, 0, Duration.ofHours(24)))
				.hasMessageContaining("dashboard-weeks");
		assertThat(new TurnaroundProperties(null, "", List.of("2026-12-25"), 12, Duration.ofHours(24)).holidayDates())
				.containsExactly(LocalDate.of(2026, 12, 25));
	}

	// ------------------------------------------------------------------ days

	@ParameterizedTest(name = "{0} -> {1}: {2} working days")
	@CsvSource({
		// Friday afternoon to Tuesday afternoon: the weekend does not count.
		"2025-02-07T14:30:00Z, 2025-02-11T14:30:00Z, 2.0",
		"2025-02-07T12:00:00Z, 2025-02-10T12:00:00Z, 1.0",
		// Saturday to Sunday: nothing.
		"2025-02-08T10:00:00Z, 2025-02-09T10:00:00Z, 0.0",
		// Saturday to Monday noon: half of Monday.
		"2025-02-08T10:00:00Z, 2025-02-10T12:00:00Z, 0.5",
		"2025-02-10T00:00:00Z, 2025-02-17T00:00:00Z, 5.0",
		"2025-02-10T09:00:00Z, 2025-02-10T15:00:00Z, 0.25",
		// End before start: no time, not negative.
		"2025-02-11T00:00:00Z, 2025-02-10T00:00:00Z, 0.0",
	})
	void workingDaysSkipWeekends(Instant start, Instant end, double expected) {
		assertThat(new WorkingCalendar(LONDON, Set.of()).workingDays(start, end)).isCloseTo(expected, within(1e-9));
	}

	@Test
	void holidaysAreNotWorkingDays() {
		WorkingCalendar christmas = new WorkingCalendar(LONDON, Set.of(LocalDate.of(2025, 12, 25), LocalDate.of(2025, 12, 26)));
		// Wednesday 24th noon to Monday 29th noon: half of the 24th and half of the 29th.
		assertThat(christmas.workingDays(Instant.parse("2025-12-24T12:00:00Z"), Instant.parse("2025-12-29T12:00:00Z")))
				.isCloseTo(1.0, within(1e-9));
		assertThat(christmas.calendarDays(Instant.parse("2025-12-24T12:00:00Z"), Instant.parse("2025-12-29T12:00:00Z")))
				.isCloseTo(5.0, within(1e-9));
	}

	@Test
	void aDaylightSavingDayIsStillOneDay() {
		// 30 March 2025: London clocks go forward, the day has 23 hours.
		Instant start = LocalDate.of(2025, 3, 30).atStartOfDay(LONDON).toInstant();
		Instant end = LocalDate.of(2025, 3, 31).atStartOfDay(LONDON).toInstant();
		assertThat(Duration.between(start, end)).isEqualTo(Duration.ofHours(23));
		assertThat(new WorkingCalendar(LONDON, Set.of()).calendarDays(start, end)).isCloseTo(1.0, within(1e-9));
	}

	@Test
	void workingDayTargetAcrossAWeekend() {
		Map<Segment, Target> oneWorkingDay = Map.of(Segment.RECEIVED_TO_PRELIMINARY, Target.parse("1wd"));
		ExamTimeline receivedFriday = exam("active", "2025-02-07T09:00:00Z", "2025-02-07T10:00:00Z",
				"2025-02-07T14:30:00Z", null, null, 0, false);
		// Monday 14:30: exactly one working day has passed: still within.
		SegmentTime monday = calculator(oneWorkingDay, Instant.parse("2025-02-10T14:30:00Z"), Set.of())
				.evaluate(receivedFriday).segment(Segment.RECEIVED_TO_PRELIMINARY);
		assertThat(monday.badge()).isEqualTo(Badge.RUNNING);
		assertThat(monday.value()).isCloseTo(1.0, within(1e-9));
		assertThat(monday.elapsed()).isEqualTo(Duration.ofDays(3));
		// Half an hour later it is overdue.
		ExamTurnaround later = calculator(oneWorkingDay, Instant.parse("2025-02-10T15:00:00Z"), Set.of()).evaluate(receivedFriday);
		assertThat(later.segment(Segment.RECEIVED_TO_PRELIMINARY).badge()).isEqualTo(Badge.OVERDUE);
		assertThat(later.state()).isEqualTo(State.OVERDUE);
		// A holiday on the Monday moves the deadline by a day.
		assertThat(calculator(oneWorkingDay, Instant.parse("2025-02-10T15:00:00Z"), Set.of(LocalDate.of(2025, 2, 10)))
				.evaluate(receivedFriday).segment(Segment.RECEIVED_TO_PRELIMINARY).badge()).isEqualTo(Badge.RUNNING);
	}

	// ------------------------------------------------------------------ one exam

	@Test
	void aCompleteExamIsMeasuredSegmentBySegment() {
		// Ordered Monday 3rd (date only: midnight), collected 09:15, received 13:30, preliminary Wed 5th 09:30
		// (44 h after receipt), final Mon 10th 13:30 (7 days after receipt: exactly the target).
		ExamTurnaround e = defaults(NOW).evaluate(exam("completed", "2025-02-03T00:00:00Z", "2025-02-03T09:15:00Z",
				"2025-02-03T13:30:00Z", "2025-02-05T09:30:00Z", "2025-02-10T13:30:00Z", 1, false));
		assertThat(e.state()).isEqualTo(State.COMPLETE);
		assertThat(e.segment(Segment.ORDERED_TO_COLLECTED).badge()).isEqualTo(Badge.DONE);
		assertThat(e.segment(Segment.ORDERED_TO_COLLECTED).value()).isCloseTo(9.25, within(1e-9));
		assertThat(e.segment(Segment.ORDERED_TO_COLLECTED).target()).isNull();
		assertThat(e.segment(Segment.COLLECTED_TO_RECEIVED).elapsed()).isEqualTo(Duration.ofMinutes(255));
		SegmentTime preliminary = e.segment(Segment.RECEIVED_TO_PRELIMINARY);
		assertThat(preliminary.badge()).isEqualTo(Badge.WITHIN);
		assertThat(preliminary.value()).isCloseTo(44.0, within(1e-9));
		assertThat(preliminary.elapsedLabel()).isEqualTo("44.0 h");
		SegmentTime fin = e.segment(Segment.RECEIVED_TO_FINAL);
		assertThat(fin.badge()).isEqualTo(Badge.WITHIN);
		assertThat(fin.value()).isCloseTo(7.0, within(1e-9));
		assertThat(fin.unit()).isEqualTo(Target.Unit.CALENDAR_DAYS);
	}

	@Test
	void overTheTargetIsOver() {
		ExamTurnaround e = defaults(NOW).evaluate(exam("completed", "2025-02-03T00:00:00Z", "2025-02-03T09:15:00Z",
				"2025-02-03T13:30:00Z", "2025-02-07T09:30:00Z", "2025-02-10T13:31:00Z", 1, false));
		assertThat(e.segment(Segment.RECEIVED_TO_PRELIMINARY).badge()).isEqualTo(Badge.OVER);
		assertThat(e.segment(Segment.RECEIVED_TO_FINAL).badge()).isEqualTo(Badge.OVER);
		assertThat(e.state()).isEqualTo(State.COMPLETE);
	}

	@Test
	void missingTimesAreUnknownNeverZero() {
		// A final report, but no collection time and no preliminary report stored.
		ExamTurnaround e = defaults(NOW).evaluate(exam("completed", "2025-02-03T00:00:00Z", null,
				"2025-02-03T13:30:00Z", null, "2025-02-06T13:30:00Z", 1, false));
		assertThat(e.segment(Segment.ORDERED_TO_COLLECTED).badge()).isEqualTo(Badge.UNKNOWN);
		assertThat(e.segment(Segment.COLLECTED_TO_RECEIVED).badge()).isEqualTo(Badge.UNKNOWN);
		assertThat(e.segment(Segment.RECEIVED_TO_PRELIMINARY).badge()).isEqualTo(Badge.UNKNOWN);
		assertThat(e.segment(Segment.PRELIMINARY_TO_FINAL).badge()).isEqualTo(Badge.UNKNOWN);
		assertThat(e.segment(Segment.RECEIVED_TO_PRELIMINARY).value()).isNull();
		assertThat(e.segment(Segment.RECEIVED_TO_PRELIMINARY).elapsedLabel()).isEmpty();
		assertThat(e.segment(Segment.RECEIVED_TO_FINAL).badge()).isEqualTo(Badge.WITHIN);
	}

	@Test
	void anOpenExamMovedPastAStepWithoutItsTimeIsUnknownThere() {
		// Received, but the specimen carries no collection time: ordered -> collected cannot be running.
		ExamTurnaround e = defaults(NOW).evaluate(exam("active", "2025-02-10T00:00:00Z", null,
				"2025-02-11T13:30:00Z", null, null, 0, false));
		assertThat(e.segment(Segment.ORDERED_TO_COLLECTED).badge()).isEqualTo(Badge.UNKNOWN);
		assertThat(e.segment(Segment.RECEIVED_TO_PRELIMINARY).badge()).isEqualTo(Badge.RUNNING);
		assertThat(e.segment(Segment.RECEIVED_TO_PRELIMINARY).value()).isCloseTo(22.5, within(1e-9));
		assertThat(e.state()).isEqualTo(State.OPEN);
	}

	@Test
	void anOpenExamPastItsTargetIsOverdueAndRunsToNow() {
		// Received Saturday 8th 12:00, nothing since; now Wednesday 12th 12:00 = 96 h > 72 h.
		ExamTurnaround e = defaults(NOW).evaluate(exam("active", "2025-02-07T00:00:00Z", "2025-02-08T09:00:00Z",
				"2025-02-08T12:00:00Z", null, null, 0, false));
		assertThat(e.state()).isEqualTo(State.OVERDUE);
		SegmentTime preliminary = e.segment(Segment.RECEIVED_TO_PRELIMINARY);
		assertThat(preliminary.badge()).isEqualTo(Badge.OVERDUE);
		assertThat(preliminary.elapsed()).isEqualTo(Duration.ofHours(96));
		assertThat(e.segment(Segment.RECEIVED_TO_FINAL).badge()).isEqualTo(Badge.RUNNING);
		assertThat(e.segment(Segment.RECEIVED_TO_FINAL).value()).isCloseTo(4.0, within(1e-9));
		assertThat(e.segment(Segment.PRELIMINARY_TO_FINAL).badge()).isEqualTo(Badge.WAITING);
		assertThat(e.segment(Segment.ORDERED_TO_FINAL).badge()).isEqualTo(Badge.RUNNING);
	}

	@Test
	void anOrderAloneRunsWithoutTargetAndIsOverdueOnlyAgainstATarget() {
		ExamTimeline orderOnly = exam("active", "2025-01-20T00:00:00Z", null, null, null, null, 0, false);
		ExamTurnaround byDefaults = defaults(NOW).evaluate(orderOnly);
		assertThat(byDefaults.segment(Segment.ORDERED_TO_COLLECTED).badge()).isEqualTo(Badge.RUNNING);
		assertThat(byDefaults.segment(Segment.COLLECTED_TO_RECEIVED).badge()).isEqualTo(Badge.WAITING);
		assertThat(byDefaults.segment(Segment.RECEIVED_TO_FINAL).badge()).isEqualTo(Badge.WAITING);
		assertThat(byDefaults.state()).isEqualTo(State.OPEN);
		ExamTurnaround withTarget = calculator(Map.of(Segment.ORDERED_TO_COLLECTED, Target.parse("5wd")), NOW, Set.of())
				.evaluate(orderOnly);
		// 20 Jan to 12 Feb noon: 17.5 working days.
		assertThat(withTarget.segment(Segment.ORDERED_TO_COLLECTED).value()).isCloseTo(17.5, within(1e-9));
		assertThat(withTarget.segment(Segment.ORDERED_TO_COLLECTED).badge()).isEqualTo(Badge.OVERDUE);
		assertThat(withTarget.state()).isEqualTo(State.OVERDUE);
	}

	@Test
	void anOrderWithoutAnOrderTimeHasUnknownOrderSegments() {
		ExamTurnaround e = defaults(NOW).evaluate(exam("active", null, null, null, null, null, 0, false));
		assertThat(e.segment(Segment.ORDERED_TO_COLLECTED).badge()).isEqualTo(Badge.UNKNOWN);
		assertThat(e.segment(Segment.ORDERED_TO_FINAL).badge()).isEqualTo(Badge.UNKNOWN);
		assertThat(e.segment(Segment.COLLECTED_TO_RECEIVED).badge()).isEqualTo(Badge.WAITING);
	}

	@Test
	void contradictoryTimesAreUnknown() {
		ExamTurnaround e = defaults(NOW).evaluate(exam("completed", "2025-02-03T00:00:00Z", "2025-02-03T15:00:00Z",
				"2025-02-03T13:30:00Z", null, "2025-02-06T13:30:00Z", 1, false));
		assertThat(e.segment(Segment.COLLECTED_TO_RECEIVED).badge()).isEqualTo(Badge.UNKNOWN);
		assertThat(e.segment(Segment.ORDERED_TO_COLLECTED).badge()).isEqualTo(Badge.DONE);
	}

	@Test
	void completedAndCancelledOrdersAreNotOpen() {
		// The order says completed although no report time is stored: complete, the rest unknown.
		ExamTurnaround completed = defaults(NOW).evaluate(exam("completed", "2025-01-06T00:00:00Z", null, null, null,
				null, 0, false));
		assertThat(completed.state()).isEqualTo(State.COMPLETE);
		assertThat(completed.segments()).extracting(SegmentTime::badge).containsOnly(Badge.UNKNOWN);
		ExamTurnaround revoked = defaults(NOW).evaluate(exam("revoked", "2025-01-06T00:00:00Z", "2025-01-06T10:00:00Z",
				"2025-01-06T12:00:00Z", null, null, 0, false));
		assertThat(revoked.state()).isEqualTo(State.CANCELLED);
		assertThat(revoked.open()).isFalse();
		assertThat(revoked.segment(Segment.RECEIVED_TO_PRELIMINARY).badge()).isEqualTo(Badge.UNKNOWN);
		assertThat(revoked.segment(Segment.COLLECTED_TO_RECEIVED).badge()).isEqualTo(Badge.DONE);
	}

	// ------------------------------------------------------------------ statistics

	@ParameterizedTest
	@CsvSource({
		"'1,2,3,4', 0.5, 2.5",
		"'1,2,3,4,5,6,7,8,9,10', 0.9, 9.1",
		"'10,1,5', 0.5, 5",
		"'7', 0.9, 7",
		"'1,2', 0.9, 1.9",
	})
	void percentilesInterpolateBetweenClosestRanks(String values, double p, double expected) {
		double[] v = java.util.Arrays.stream(values.split(",")).mapToDouble(Double::parseDouble).toArray();
		assertThat(TurnaroundCalculator.percentile(v, p)).isCloseTo(expected, within(1e-9));
	}

	@Test
	void weeklyStatisticsPerIsoWeekOfTheOrder() {
		TurnaroundCalculator c = defaults(NOW);
		List<ExamTurnaround> exams = List.of(
				// Week 2025-W06: preliminary after 24 h, 48 h, 96 h (over), and one without a preliminary time.
				c.evaluate(exam("completed", "2025-02-03T00:00:00Z", "2025-02-03T09:00:00Z", "2025-02-03T12:00:00Z",
						"2025-02-04T12:00:00Z", "2025-02-06T12:00:00Z", 1, false)),
				c.evaluate(exam("completed", "2025-02-04T00:00:00Z", "2025-02-04T09:00:00Z", "2025-02-04T12:00:00Z",
						"2025-02-06T12:00:00Z", "2025-02-07T12:00:00Z", 1, true)),
				c.evaluate(exam("completed", "2025-02-09T00:00:00Z", "2025-02-05T09:00:00Z", "2025-02-05T12:00:00Z",
						"2025-02-09T12:00:00Z", "2025-02-10T12:00:00Z", 1, false)),
				c.evaluate(exam("completed", "2025-02-05T00:00:00Z", "2025-02-05T09:00:00Z", "2025-02-05T12:00:00Z",
						null, "2025-02-10T12:00:00Z", 1, false)),
				// Week 2025-W07: one open exam, received Monday noon (48 h ago, running).
				c.evaluate(exam("active", "2025-02-10T00:00:00Z", "2025-02-10T09:00:00Z", "2025-02-10T12:00:00Z",
						null, null, 0, false)),
				// Ordered before the range: left out.
				c.evaluate(exam("completed", "2025-01-06T00:00:00Z", "2025-01-06T09:00:00Z", "2025-01-06T12:00:00Z",
						"2025-01-07T12:00:00Z", "2025-01-08T12:00:00Z", 1, false)));
		List<WeekStatistics> weeks = c.weekly(exams, new IsoWeek(2025, 5), new IsoWeek(2025, 7));
		assertThat(weeks).extracting(w -> w.week().label()).containsExactly("2025-W05", "2025-W06", "2025-W07");

		WeekStatistics empty = weeks.get(0);
		assertThat(empty.exams()).isZero();
		assertThat(empty.segment(Segment.RECEIVED_TO_PRELIMINARY).n()).isZero();
		assertThat(empty.segment(Segment.RECEIVED_TO_PRELIMINARY).median()).isNull();
		assertThat(empty.segment(Segment.RECEIVED_TO_PRELIMINARY).withinShare()).isNull();
		assertThat(empty.amendedRate()).isNull();

		WeekStatistics w6 = weeks.get(1);
		assertThat(w6.exams()).isEqualTo(4);
		SegmentStatistics preliminary = w6.segment(Segment.RECEIVED_TO_PRELIMINARY);
		assertThat(preliminary.n()).isEqualTo(3);
		assertThat(preliminary.unknown()).isEqualTo(1);
		assertThat(preliminary.open()).isZero();
		assertThat(preliminary.median()).isCloseTo(48.0, within(1e-9));
		assertThat(preliminary.p90()).isCloseTo(48 + 0.8 * 48, within(1e-9));
		assertThat(preliminary.withinShare()).isCloseTo(2.0 / 3, within(1e-9));
		assertThat(preliminary.unit()).isEqualTo(Target.Unit.HOURS);
		SegmentStatistics collected = w6.segment(Segment.ORDERED_TO_COLLECTED);
		// No target: no share, but still a median. The exam ordered on the 9th after collection on the 5th
		// contradicts itself and is unknown there.
		assertThat(collected.withinShare()).isNull();
		assertThat(collected.n()).isEqualTo(3);
		assertThat(collected.unknown()).isEqualTo(1);
		assertThat(collected.median()).isCloseTo(9.0, within(1e-9));
		assertThat(w6.finals()).isEqualTo(4);
		assertThat(w6.amended()).isEqualTo(1);
		assertThat(w6.amendedRate()).isCloseTo(0.25, within(1e-9));

		WeekStatistics w7 = weeks.get(2);
		assertThat(w7.exams()).isEqualTo(1);
		assertThat(w7.segment(Segment.RECEIVED_TO_PRELIMINARY).n()).isZero();
		assertThat(w7.segment(Segment.RECEIVED_TO_PRELIMINARY).open()).isEqualTo(1);
		assertThat(w7.segment(Segment.RECEIVED_TO_PRELIMINARY).unknown()).isZero();
		assertThat(w7.segment(Segment.ORDERED_TO_COLLECTED).n()).isEqualTo(1);
	}

	@Test
	void cancelledExamsAreNotMissingData() {
		TurnaroundCalculator c = defaults(NOW);
		WeekStatistics s = c.statistics(null, List.of(c.evaluate(exam("revoked", "2025-02-10T00:00:00Z", null, null,
				null, null, 0, false))));
		assertThat(s.exams()).isEqualTo(1);
		assertThat(s.segment(Segment.ORDERED_TO_COLLECTED).unknown()).isZero();
		assertThat(s.segment(Segment.ORDERED_TO_COLLECTED).open()).isZero();
	}

	@ParameterizedTest
	@CsvSource({
		"2024-12-30, 2025-W01, 2024-12-30",
		"2021-01-03, 2020-W53, 2020-12-28",
		"2025-02-09, 2025-W06, 2025-02-03",
		"2025-02-10, 2025-W07, 2025-02-10",
	})
	void isoWeeks(LocalDate date, String label, LocalDate monday) {
		IsoWeek w = IsoWeek.of(date);
		assertThat(w.label()).isEqualTo(label);
		assertThat(w.monday()).isEqualTo(monday);
		assertThat(w.plusWeeks(1).plusWeeks(-1)).isEqualTo(w);
	}

	@Test
	void theOrderWeekIsTakenInTheLabsZone() {
		// Sunday 23:30 UTC is Monday 00:30 in Berlin.
		TurnaroundCalculator berlin = new TurnaroundCalculator(Map.of(), new WorkingCalendar(ZoneId.of("Europe/Berlin"),
				Set.of()), Clock.fixed(NOW, ZoneOffset.UTC));
		ExamTimeline lateSunday = exam("active", "2025-02-09T23:30:00Z", null, null, null, null, 0, false);
		assertThat(berlin.week(lateSunday).label()).isEqualTo("2025-W07");
		assertThat(defaults(NOW).week(lateSunday).label()).isEqualTo("2025-W06");
	}

	// ------------------------------------------------------------------ worklist filters

	@Test
	void worklistFilters() {
		TurnaroundCalculator c = defaults(NOW);
		Instant noReportBefore = NOW.minus(Duration.ofHours(24));
		ExamTurnaround overdue = c.evaluate(exam("active", "2025-02-07T00:00:00Z", "2025-02-08T09:00:00Z",
				"2025-02-08T12:00:00Z", null, null, 0, false));
		ExamTurnaround fresh = c.evaluate(exam("active", "2025-02-12T10:00:00Z", null, null, null, null, 0, false));
		ExamTurnaround complete = c.evaluate(exam("completed", "2025-02-03T00:00:00Z", "2025-02-03T09:00:00Z",
				"2025-02-03T12:00:00Z", null, "2025-02-04T12:00:00Z", 1, false));
		ExamTurnaround waitingWithReport = c.evaluate(exam("active", "2025-02-01T00:00:00Z", "2025-02-10T09:00:00Z",
				"2025-02-10T12:00:00Z", "2025-02-11T12:00:00Z", null, 1, false));
		ExamTurnaround revoked = c.evaluate(exam("revoked", "2025-02-01T00:00:00Z", null, null, null, null, 0, false));
		record Row(ExamTurnaround exam, boolean all, boolean open, boolean overdue, boolean complete, boolean noReport) {}
		for (Row r : List.of(
				new Row(overdue, true, true, true, false, true),
				new Row(fresh, true, true, false, false, false),
				new Row(complete, true, false, false, true, false),
				new Row(waitingWithReport, true, true, false, false, false),
				new Row(revoked, true, false, false, false, false))) {
			assertThat(WorklistFilter.ALL.matches(r.exam(), noReportBefore)).isEqualTo(r.all());
			assertThat(WorklistFilter.OPEN.matches(r.exam(), noReportBefore)).as("open %s", r).isEqualTo(r.open());
			assertThat(WorklistFilter.OVERDUE.matches(r.exam(), noReportBefore)).as("overdue %s", r).isEqualTo(r.overdue());
			assertThat(WorklistFilter.COMPLETE.matches(r.exam(), noReportBefore)).as("complete %s", r).isEqualTo(r.complete());
			assertThat(WorklistFilter.NO_REPORT.matches(r.exam(), noReportBefore)).as("no report %s", r).isEqualTo(r.noReport());
		}
		assertThat(WorklistFilter.parse("no-report")).isEqualTo(WorklistFilter.NO_REPORT);
		assertThat(WorklistFilter.parse("OVERDUE")).isEqualTo(WorklistFilter.OVERDUE);
		assertThat(WorklistFilter.parse("nonsense")).isEqualTo(WorklistFilter.ALL);
		assertThat(WorklistFilter.parse(null)).isEqualTo(WorklistFilter.ALL);
	}
}
