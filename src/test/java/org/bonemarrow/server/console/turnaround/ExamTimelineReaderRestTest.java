package org.bonemarrow.server.console.turnaround;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bonemarrow.server.console.turnaround.ExamTurnaround.State;
import org.bonemarrow.server.console.turnaround.SegmentTime.Badge;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.SampleBundles;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.hl7.fhir.r4.model.InstantType;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Timelines read from what the server stores: a sample exam posted as its transaction bundle, an open
 * order with nothing after it, an exam whose specimen waits in the lab past its target, and a report that
 * went preliminary -> final -> amended (read from its history).
 */
@FhirServerTest
class ExamTimelineReaderRestTest extends RestTestBase {

	@Autowired
	ExamTimelineReader reader;
	@Autowired
	ExamWorklist worklist;
	@Autowired
	TurnaroundCalculator calculator;
	@Autowired
	TurnaroundProperties properties;

	@Test
	void theSettingsOfApplicationYamlAreThePublishedDefaults() {
		assertThat(properties.targets().bySegment()).containsOnly(
				Map.entry(Segment.RECEIVED_TO_PRELIMINARY, new Target(72, Target.Unit.HOURS)),
				Map.entry(Segment.RECEIVED_TO_FINAL, new Target(7, Target.Unit.CALENDAR_DAYS)));
		assertThat(properties.holidayDates()).isEmpty();
		assertThat(properties.dashboardWeeks()).isEqualTo(12);
		assertThat(properties.noReportAfter()).isEqualTo(Duration.ofHours(24));
	}

	@Test
	void aSampleExamHasItsRealTimes() {
		Bundle response = bundle(fhir().body(json(SampleBundles.unique("exam-suspected-leukaemia.json"))).post(""));
		String order = location(response, "ServiceRequest");

		ExamTimeline t = reader.timeline(order).orElseThrow();
		// authoredOn is the date 2025-02-03 only: the start of that day in the lab's zone.
		assertThat(t.at(Milestone.ORDERED)).isEqualTo(LocalDate.of(2025, 2, 3).atStartOfDay(properties.zone()).toInstant());
		assertThat(t.at(Milestone.COLLECTED)).isEqualTo(Instant.parse("2025-02-03T09:15:00Z"));
		assertThat(t.at(Milestone.RECEIVED)).isEqualTo(Instant.parse("2025-02-03T13:30:00Z"));
		assertThat(t.at(Milestone.PRELIMINARY)).isNull();
		assertThat(t.at(Milestone.FINAL)).isEqualTo(Instant.parse("2025-02-05T15:00:00Z"));
		assertThat(t.reports()).isEqualTo(1);
		assertThat(t.amended()).isFalse();
		assertThat(t.patientName()).isEqualTo("Alma Example-Fictional");
		assertThat(t.patientReference()).startsWith("Patient/");
		assertThat(t.exam()).isEqualTo("Bone marrow aspiration and trephine biopsy");

		ExamTurnaround e = calculator.evaluate(t);
		assertThat(e.state()).isEqualTo(State.COMPLETE);
		assertThat(e.segment(Segment.COLLECTED_TO_RECEIVED).elapsed()).isEqualTo(Duration.ofMinutes(255));
		assertThat(e.segment(Segment.RECEIVED_TO_FINAL).badge()).isEqualTo(Badge.WITHIN);
		assertThat(e.segment(Segment.RECEIVED_TO_FINAL).elapsed()).isEqualTo(Duration.ofHours(49).plusMinutes(30));
		// No preliminary report was ever stored: unknown, not zero.
		assertThat(e.segment(Segment.RECEIVED_TO_PRELIMINARY).badge()).isEqualTo(Badge.UNKNOWN);
		assertThat(e.segment(Segment.PRELIMINARY_TO_FINAL).badge()).isEqualTo(Badge.UNKNOWN);
		assertThat(found(WorklistFilter.COMPLETE, order)).isTrue();
		assertThat(found(WorklistFilter.OPEN, order)).isFalse();
	}

	@Test
	void anOldOpenOrderWithoutSpecimenRunsAndIsChasedAsNoReport() {
		Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
		String patient = create(Fixtures.patient(Fixtures.unique("MRN")));
		ServiceRequest sr = Fixtures.order(Fixtures.unique("PO"), patient);
		sr.setAuthoredOnElement(new DateTimeType(now.minus(Duration.ofDays(30)).toString()));
		String order = create(sr);

		ExamTimeline t = reader.timeline(order).orElseThrow();
		assertThat(t.at(Milestone.ORDERED)).isEqualTo(now.minus(Duration.ofDays(30)));
		assertThat(t.at(Milestone.COLLECTED)).isNull();
		assertThat(t.at(Milestone.RECEIVED)).isNull();
		assertThat(t.reports()).isZero();
		assertThat(t.patientName()).isEqualTo("Alex Testperson");

		ExamTurnaround e = calculator.evaluate(t);
		assertThat(e.state()).isEqualTo(State.OPEN);
		SegmentTime waitingForCollection = e.segment(Segment.ORDERED_TO_COLLECTED);
		assertThat(waitingForCollection.badge()).isEqualTo(Badge.RUNNING);
		assertThat(waitingForCollection.elapsed()).isBetween(Duration.ofDays(30), Duration.ofDays(30).plusMinutes(5));
		assertThat(e.segment(Segment.COLLECTED_TO_RECEIVED).badge()).isEqualTo(Badge.WAITING);
		assertThat(e.segment(Segment.RECEIVED_TO_FINAL).badge()).isEqualTo(Badge.WAITING);
		// Overdue as soon as the lab sets a target for the segment it is in.
		TurnaroundCalculator withCollectionTarget = new TurnaroundCalculator(
				Map.of(Segment.ORDERED_TO_COLLECTED, Target.parse("10wd")), properties.calendar(), Clock.systemUTC());
		assertThat(withCollectionTarget.evaluate(t).state()).isEqualTo(State.OVERDUE);
		assertThat(withCollectionTarget.evaluate(t).segment(Segment.ORDERED_TO_COLLECTED).badge()).isEqualTo(Badge.OVERDUE);

		assertThat(found(WorklistFilter.NO_REPORT, order)).isTrue();
		assertThat(found(WorklistFilter.OPEN, order)).isTrue();
		assertThat(found(WorklistFilter.OVERDUE, order)).isFalse();
	}

	@Test
	void aSpecimenWaitingInTheLabPastTheTargetIsOverdue() {
		Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
		String patient = create(Fixtures.patient(Fixtures.unique("MRN")));
		ServiceRequest sr = Fixtures.order(Fixtures.unique("PO"), patient);
		sr.setAuthoredOnElement(new DateTimeType(now.minus(Duration.ofDays(6)).toString()));
		String order = create(sr);
		Specimen aspirate = Fixtures.aspirate(order, patient);
		aspirate.getCollection().setCollected(new DateTimeType(now.minus(Duration.ofDays(5)).minus(Duration.ofHours(2)).toString()));
		aspirate.setReceivedTimeElement(new DateTimeType(now.minus(Duration.ofDays(5)).toString()));
		create(aspirate);

		ExamTurnaround e = calculator.evaluate(reader.timeline(order).orElseThrow());
		assertThat(e.timeline().at(Milestone.RECEIVED)).isEqualTo(now.minus(Duration.ofDays(5)));
		assertThat(e.segment(Segment.COLLECTED_TO_RECEIVED).elapsed()).isEqualTo(Duration.ofHours(2));
		assertThat(e.segment(Segment.RECEIVED_TO_PRELIMINARY).badge()).isEqualTo(Badge.OVERDUE);
		assertThat(e.segment(Segment.RECEIVED_TO_FINAL).badge()).isEqualTo(Badge.RUNNING);
		assertThat(e.state()).isEqualTo(State.OVERDUE);

		assertThat(found(WorklistFilter.OVERDUE, order)).isTrue();
		assertThat(found(WorklistFilter.COMPLETE, order)).isFalse();
		assertThat(worklist.dashboard().overdueOpen()).isPositive();
	}

	@Test
	void preliminaryFinalAndAmendedVersionsAreReadFromHistory() {
		Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
		Instant received = now.minus(Duration.ofDays(3));
		String patient = create(Fixtures.patient(Fixtures.unique("MRN")));
		ServiceRequest sr = Fixtures.order(Fixtures.unique("PO"), patient);
		sr.setAuthoredOnElement(new DateTimeType(received.minus(Duration.ofHours(5)).toString()));
		String order = create(sr);
		Specimen aspirate = Fixtures.aspirate(order, patient);
		aspirate.getCollection().setCollected(new DateTimeType(received.minus(Duration.ofHours(2)).toString()));
		aspirate.setReceivedTimeElement(new DateTimeType(received.toString()));
		String specimen = create(aspirate);

		DiagnosticReport report = Fixtures.report(order, patient, DiagnosticReportStatus.PRELIMINARY, specimen);
		report.setIssuedElement(new InstantType(java.util.Date.from(received.plus(Duration.ofHours(20)))));
		String reportId = create(report);
		assertThat(reader.timeline(order).orElseThrow().at(Milestone.PRELIMINARY)).isEqualTo(received.plus(Duration.ofHours(20)));
		assertThat(calculator.evaluate(reader.timeline(order).orElseThrow()).segment(Segment.PRELIMINARY_TO_FINAL).badge())
				.isEqualTo(Badge.RUNNING);

		report.setId(reportId);
		report.setStatus(DiagnosticReportStatus.FINAL);
		report.setIssuedElement(new InstantType(java.util.Date.from(received.plus(Duration.ofHours(40)))));
		fhir().body(json(report)).put("/" + reportId).then().statusCode(200);
		report.setStatus(DiagnosticReportStatus.AMENDED);
		report.setIssuedElement(new InstantType(java.util.Date.from(received.plus(Duration.ofHours(50)))));
		report.setConclusion("Amended: hypocellular marrow.");
		fhir().body(json(report)).put("/" + reportId).then().statusCode(200);

		ExamTimeline t = reader.timeline(order).orElseThrow();
		assertThat(t.at(Milestone.PRELIMINARY)).isEqualTo(received.plus(Duration.ofHours(20)));
		assertThat(t.at(Milestone.FINAL)).isEqualTo(received.plus(Duration.ofHours(40)));
		assertThat(t.amended()).isTrue();
		assertThat(t.reports()).isEqualTo(1);
		ExamTurnaround e = calculator.evaluate(t);
		assertThat(e.state()).isEqualTo(State.COMPLETE);
		assertThat(e.segment(Segment.RECEIVED_TO_PRELIMINARY).badge()).isEqualTo(Badge.WITHIN);
		assertThat(e.segment(Segment.RECEIVED_TO_PRELIMINARY).value()).isEqualTo(20.0);
		assertThat(e.segment(Segment.PRELIMINARY_TO_FINAL).elapsed()).isEqualTo(Duration.ofHours(20));
		assertThat(e.segment(Segment.ORDERED_TO_COLLECTED).elapsed()).isEqualTo(Duration.ofHours(3));

		// The dashboard counts it in the week of its order, amended; by default it ends with the newest order's week.
		IsoWeek orderWeek = calculator.week(t);
		ExamWorklist.Dashboard d = worklist.dashboard();
		assertThat(d.weeks()).hasSize(12);
		assertThat(d.last()).isEqualTo(d.newestOrder());
		assertThat(d.newestOrder()).isGreaterThanOrEqualTo(orderWeek);
		ExamWorklist.Dashboard thatWeek = worklist.dashboard(orderWeek, orderWeek);
		assertThat(thatWeek.weeks()).singleElement().satisfies(week -> {
			assertThat(week.week()).isEqualTo(orderWeek);
			assertThat(week.amended()).isPositive();
			assertThat(week.segment(Segment.RECEIVED_TO_PRELIMINARY).n()).isPositive();
		});
		assertThat(thatWeek.overall().exams()).isEqualTo(thatWeek.weeks().get(0).exams());
	}

	@Test
	void theWorklistIsNewestFirstAndPaged() {
		ExamWorklist.Page first = worklist.page(WorklistFilter.ALL, 0, 5);
		ExamWorklist.Page second = worklist.page(WorklistFilter.ALL, 1, 5);
		assertThat(first.rows()).hasSizeLessThanOrEqualTo(5);
		List<Instant> ordered = java.util.stream.Stream.concat(first.rows().stream(), second.rows().stream())
				.map(e -> e.timeline().at(Milestone.ORDERED)).filter(java.util.Objects::nonNull).toList();
		assertThat(ordered).isSortedAccordingTo(java.util.Comparator.reverseOrder());
		Set<String> firstIds = new java.util.HashSet<>(first.rows().stream().map(e -> e.timeline().orderId()).toList());
		assertThat(second.rows()).noneMatch(e -> firstIds.contains(e.timeline().orderId()));
	}

	/** Whether the worklist lists the order under the filter (looking through up to 2000 rows). */
	private boolean found(WorklistFilter filter, String order) {
		for (int page = 0; page < 20; page++) {
			ExamWorklist.Page p = worklist.page(filter, page, 100);
			if (p.rows().stream().anyMatch(e -> e.timeline().orderId().equals(order))) {
				return true;
			}
			if (!p.hasNext()) {
				return false;
			}
		}
		return false;
	}

	private static String location(Bundle transactionResponse, String type) {
		return transactionResponse.getEntry().stream().map(e -> e.getResponse().getLocation())
				.filter(l -> l != null && l.startsWith(type + "/")).map(l -> l.replaceFirst("/_history/.*", ""))
				.findFirst().orElseThrow();
	}
}
