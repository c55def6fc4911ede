package org.bonemarrow.server.console.turnaround;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.bonemarrow.server.support.ConsoleSession;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.SampleBundles;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The worklist and turnaround pages over HTTP, signed in as console users: rows with their badges, the
 * overdue flag, names for the lab manager only, charts and tables on the dashboard.
 */
@FhirServerTest
class TurnaroundPagesTest extends RestTestBase {

	private String overdueOrder;

	@BeforeEach
	void anExamWaitingInTheLabPastItsTarget() {
		if (overdueOrder != null) {
			return;
		}
		Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
		String patient = create(Fixtures.patient(Fixtures.unique("MRN")));
		ServiceRequest sr = Fixtures.order(Fixtures.unique("PO"), patient);
		sr.setAuthoredOnElement(new DateTimeType(now.minus(Duration.ofDays(6)).toString()));
		overdueOrder = create(sr);
		Specimen aspirate = Fixtures.aspirate(overdueOrder, patient);
		aspirate.getCollection().setCollected(new DateTimeType(now.minus(Duration.ofDays(5)).minus(Duration.ofHours(2)).toString()));
		aspirate.setReceivedTimeElement(new DateTimeType(now.minus(Duration.ofDays(5)).toString()));
		create(aspirate);
	}

	@Test
	void theLabManagerSeesTheOverdueExamFlaggedWithItsPatientsName() {
		Element row = rowOf(console("lab-manager"), "overdue", overdueOrder);
		assertThat(row.attr("data-state")).isEqualTo("overdue");
		assertThat(row.hasClass("flagged")).isTrue();
		assertThat(row.select("[data-testid=overdue-flag]").text()).isEqualTo("Overdue");
		assertThat(row.select(".overdue-text").text()).contains("received \u2192 preliminary report").contains("72 h");
		assertThat(badge(row, "received-to-preliminary")).isEqualTo("overdue");
		assertThat(row.select("td[data-segment=received-to-preliminary]").text()).contains("so far");
		assertThat(badge(row, "received-to-final")).isEqualTo("running");
		assertThat(badge(row, "collected-to-received")).isEqualTo("done");
		assertThat(row.select("td[data-segment=collected-to-received]").text()).contains("2.0 h");
		assertThat(badge(row, "preliminary-to-final")).isEqualTo("waiting");
		assertThat(row.select("[data-testid=patient]").text()).contains("Alex Testperson").contains("Patient/");
	}

	@Test
	void theIntegrationEngineerSeesOrderAndPatientReferenceButNoName() {
		Element row = rowOf(console("integration-engineer"), "overdue", overdueOrder);
		assertThat(row.select("[data-testid=patient]").text()).startsWith("Patient/").doesNotContain("Testperson");
		assertThat(row.select(".patient-name")).isEmpty();
		assertThat(row.text()).contains(overdueOrder);
	}

	@Test
	void aCompleteSampleExamShowsItsMeasuredAndUnknownSteps() {
		String order = bundle(fhir().body(json(SampleBundles.unique("exam-iron-assessment.json"))).post("")).getEntry()
				.stream().map(e -> e.getResponse().getLocation()).filter(l -> l.startsWith("ServiceRequest/"))
				.map(l -> l.replaceFirst("/_history/.*", "")).findFirst().orElseThrow();
		Element row = rowOf(console("lab-manager"), "complete", order);
		assertThat(row.attr("data-state")).isEqualTo("complete");
		assertThat(row.select("[data-testid=overdue-flag]")).isEmpty();
		assertThat(badge(row, "received-to-final")).isEqualTo("within");
		// Received 2025-02-17 14:30 +01:00, final 2025-02-18 15:00 +01:00: 1.0 day of the 7-day target.
		assertThat(row.select("td[data-segment=received-to-final]").text()).contains("1.0 days");
		assertThat(badge(row, "received-to-preliminary")).isEqualTo("unknown");
	}

	@Test
	void theFilterFormWorksWithoutJavaScript() {
		Document page = console("lab-manager").page("/console/worklist?state=no-report&size=10");
		assertThat(page.select("form#worklist-filters select#state option[selected]").attr("value")).isEqualTo("no-report");
		assertThat(page.select("label[for=state]")).isNotEmpty();
		assertThat(page.select("table#worklist caption").text()).contains("no report");
		assertThat(page.select("table#worklist th[scope=col]")).hasSizeGreaterThan(6);
		assertThat(page.select("tr[data-testid=worklist-row]")).hasSizeLessThanOrEqualTo(10)
				.allSatisfy(r -> assertThat(r.attr("data-state")).isIn("open", "overdue", "complete"));
	}

	@Test
	void theDashboardHasAChartAndATablePerStep() {
		ConsoleSession session = console("lab-manager");
		Document page = session.page("/console/turnaround");
		for (Segment s : Segment.values()) {
			Element canvas = page.selectFirst("canvas#chart-" + s.key());
			assertThat(canvas).as(s.key()).isNotNull();
			assertThat(canvas.attr("data-chart")).contains("\"labels\":[").contains("\"median\":[");
			Element table = page.selectFirst("table#table-" + s.key());
			assertThat(table.select("caption").text()).contains(s.label());
			// 12 weeks and the total.
			assertThat(table.select("tbody tr")).hasSize(13);
		}
		assertThat(page.selectFirst("table#table-received-to-preliminary").parent().text()).contains("Target: 72 h");
		assertThat(page.selectFirst("#segment-ordered-to-collected").text()).contains("No target set");
		Element overdue = page.selectFirst("a#overdue-open-count");
		assertThat(Integer.parseInt(overdue.text())).isPositive();
		assertThat(overdue.attr("href")).isEqualTo("/console/worklist?state=overdue");
		assertThat(page.select("#weeks-explained").text()).contains("ISO week").contains("order date");
		// Chart.js from its WebJar (the URL carries the version), and the page's script, both served from the jar.
		List<String> scripts = page.select("script[src]").eachAttr("src");
		assertThat(scripts).contains("/console-assets/turnaround.js")
				.anyMatch(src -> src.startsWith("/webjars/chart.js/") && src.endsWith("/dist/chart.umd.js"));
		for (String src : scripts) {
			assertThat(session.get(src).statusCode()).as(src).isEqualTo(200);
		}
		assertThat(page.select("#table-amended tbody tr")).hasSize(12);
	}

	@Test
	void aChosenPeriodShowsItsWeeksWithTheSampleExam() {
		fhir().body(json(SampleBundles.unique("exam-suspected-leukaemia.json"))).post("").then().statusCode(200);
		Document page = console("lab-manager").page("/console/turnaround?from=2025-02-03&to=2025-02-16");
		Element table = page.selectFirst("table#table-received-to-final");
		assertThat(table.select("tbody tr").eachAttr("data-week")).containsExactly("2025-W06", "2025-W07", "all");
		Element w6 = table.selectFirst("tr[data-week=2025-W06]");
		// Columns: week, from, n, median, p90, within, unknown, open.
		assertThat(Integer.parseInt(w6.select("td").get(2).text())).isPositive();
		assertThat(w6.select("td").get(5).text()).isEqualTo("100 %");
		assertThat(page.selectFirst("input#from").val()).isEqualTo("2025-02-03");
		assertThat(page.selectFirst("input#to").val()).isEqualTo("2025-02-16");
		assertThat(page.selectFirst("a#default-period")).isNotNull();
	}

	@Test
	void theAuditorMayNotOpenTheWorklist() {
		ConsoleSession auditor = console("auditor");
		assertThat(auditor.get("/console/worklist").statusCode()).isEqualTo(403);
		assertThat(auditor.get("/console/turnaround").statusCode()).isEqualTo(403);
	}

	/** The order's row under the filter, looking through up to 10 pages of 100. */
	private static Element rowOf(ConsoleSession session, String state, String order) {
		for (int page = 0; page < 10; page++) {
			Document d = session.page("/console/worklist?state=" + state + "&size=100&page=" + page);
			Element row = d.selectFirst("tr[data-testid=worklist-row][data-order=\"" + order + "\"]");
			if (row != null) {
				return row;
			}
			if (d.selectFirst("a#next-page") == null) {
				break;
			}
		}
		throw new AssertionError(order + " is not in the worklist under " + state);
	}

	private static String badge(Element row, String segment) {
		return row.select("td[data-segment=" + segment + "] .badge").attr("data-badge");
	}
}
