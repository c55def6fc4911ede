package org.bonemarrow.server.console.turnaround.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bonemarrow.server.console.turnaround.ExamWorklist;
import org.bonemarrow.server.console.turnaround.IsoWeek;
import org.bonemarrow.server.console.turnaround.Segment;
import org.bonemarrow.server.console.turnaround.SegmentStatistics;
import org.bonemarrow.server.console.turnaround.Target;
import org.bonemarrow.server.console.turnaround.TurnaroundProperties;
import org.bonemarrow.server.console.turnaround.WeekStatistics;
import org.springframework.format.annotation.DateTimeFormat;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * {@code GET /console/turnaround}: per segment and ISO week of the order, median, 90th percentile, share
 * within target and n, as Chart.js charts (console-assets/turnaround.js reads each canvas's data-chart) and
 * as tables that need no JavaScript; the amended-report rate; the open overdue count.
 */
@Controller
public class TurnaroundController {

	private static final ObjectMapper JSON = new ObjectMapper();

	private final ExamWorklist worklist;
	private final TurnaroundProperties properties;

	public TurnaroundController(ExamWorklist worklist, TurnaroundProperties properties) {
		this.worklist = worklist;
		this.properties = properties;
	}

	/** One table row: a week's figures for one segment, formatted; "–" where there is nothing to show. */
	public record WeekRow(String week, String monday, int n, String median, String p90, String within, int unknown,
			int open) {}

	/** One segment: its figures per week, the chart's data and the overall figures. */
	public record SegmentView(String key, String label, String target, String unit, List<WeekRow> weeks, WeekRow overall,
			String chart) {}

	public record AmendedRow(String week, int finals, int amended, String rate) {}

	@GetMapping("/console/turnaround")
	public String turnaround(
			@RequestParam(name = "from", required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
			@RequestParam(name = "to", required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to,
			Model model) throws JsonProcessingException {
		boolean chosen = from != null || to != null;
		ExamWorklist.Dashboard d;
		if (!chosen) {
			d = worklist.dashboard();
		} else {
			// One end given: the other is dashboard-weeks away from it.
			IsoWeek last = to != null ? IsoWeek.of(to) : IsoWeek.of(from).plusWeeks(properties.dashboardWeeks() - 1);
			IsoWeek first = from != null ? IsoWeek.of(from) : last.plusWeeks(-(properties.dashboardWeeks() - 1));
			d = worklist.dashboard(first, last);
		}
		List<SegmentView> segments = new ArrayList<>();
		for (Segment s : Segment.values()) {
			Target target = worklist.calculator().target(s);
			String unit = worklist.calculator().unit(s).label();
			List<WeekRow> rows = new ArrayList<>();
			List<String> labels = new ArrayList<>();
			List<Double> medians = new ArrayList<>();
			List<Double> p90s = new ArrayList<>();
			List<Double> shares = new ArrayList<>();
			List<Integer> ns = new ArrayList<>();
			for (WeekStatistics w : d.weeks()) {
				SegmentStatistics st = w.segment(s);
				rows.add(row(w.week().label(), w.week().monday().toString(), st));
				labels.add(w.week().label());
				medians.add(round(st.median()));
				p90s.add(round(st.p90()));
				shares.add(st.withinShare() == null ? null : round(st.withinShare() * 100));
				ns.add(st.n());
			}
			Map<String, Object> chart = new LinkedHashMap<>();
			chart.put("segment", s.label());
			chart.put("unit", unit);
			chart.put("labels", labels);
			chart.put("median", medians);
			chart.put("p90", p90s);
			chart.put("n", ns);
			chart.put("target", target == null ? null : target.amount());
			chart.put("withinShare", target == null ? null : shares);
			segments.add(new SegmentView(s.key(), s.label(), target == null ? null : target.label(), unit, rows,
					row("all weeks", "", d.overall().segment(s)), JSON.writeValueAsString(chart)));
		}
		List<AmendedRow> amended = new ArrayList<>();
		for (WeekStatistics w : d.weeks()) {
			amended.add(new AmendedRow(w.week().label(), w.finals(), w.amended(), percent(w.amendedRate())));
		}
		model.addAttribute("dashboard", d);
		model.addAttribute("segments", segments);
		model.addAttribute("amended", amended);
		model.addAttribute("amendedOverall", percent(d.overall().amendedRate()));
		model.addAttribute("zone", properties.zone().getId());
		model.addAttribute("first", d.first().label());
		model.addAttribute("last", d.last().label());
		model.addAttribute("from", d.first().monday());
		model.addAttribute("to", d.last().monday().plusDays(6));
		model.addAttribute("chosen", chosen);
		model.addAttribute("defaultWeeks", properties.dashboardWeeks());
		model.addAttribute("newest", d.newestOrder() == null ? null : d.newestOrder().label());
		model.addAttribute("maxWeeks", ExamWorklist.MAX_WEEKS);
		return "console/turnaround";
	}

	private static WeekRow row(String week, String monday, SegmentStatistics st) {
		return new WeekRow(week, monday, st.n(), number(st.median()), number(st.p90()), percent(st.withinShare()),
				st.unknown(), st.open());
	}

	private static Double round(Double v) {
		return v == null ? null : Math.round(v * 10) / 10.0;
	}

	private static String number(Double v) {
		return v == null ? "\u2013" : String.format(Locale.ROOT, "%.1f", v);
	}

	private static String percent(Double share) {
		return share == null ? "\u2013" : String.format(Locale.ROOT, "%.0f %%", share * 100);
	}
}
