package org.bonemarrow.server.console.turnaround.web;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.bonemarrow.server.console.ConsoleRole;
import org.bonemarrow.server.console.ConsoleUser;
import org.bonemarrow.server.console.turnaround.ExamTurnaround;
import org.bonemarrow.server.console.turnaround.ExamWorklist;
import org.bonemarrow.server.console.turnaround.Milestone;
import org.bonemarrow.server.console.turnaround.Segment;
import org.bonemarrow.server.console.turnaround.SegmentTime;
import org.bonemarrow.server.console.turnaround.Target;
import org.bonemarrow.server.console.turnaround.TurnaroundProperties;
import org.bonemarrow.server.console.turnaround.WorklistFilter;
import org.springframework.security.core.Authentication;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * {@code GET /console/worklist}: every bone marrow exam, newest order first, with each segment's time and
 * badge. Lab managers see patient names; integration engineers see the order and the patient reference
 * only (URL access to /console/worklist is the console security chain's: those two roles).
 */
@Controller
public class WorklistController {

	static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm");

	private final ExamWorklist worklist;
	private final TurnaroundProperties properties;

	public WorklistController(ExamWorklist worklist, TurnaroundProperties properties) {
		this.worklist = worklist;
		this.properties = properties;
	}

	/** One segment column: its label and target. */
	public record Column(String key, String label, String target) {}

	/** One cell: the badge and the time it took (or has taken so far). */
	public record Cell(String segment, String badge, String badgeLabel, String css, String elapsed) {}

	/**
	 * One exam. {@code patient} is the name for a lab manager, else null; {@code patientReference} is shown
	 * to everyone.
	 */
	public record Row(String orderId, String orderIdPart, String exam, String patient, String patientReference,
			String ordered, List<Cell> cells, String state, String stateLabel, String stateCss, boolean overdue,
			String overdueText) {}

	@GetMapping("/console/worklist")
	public String worklist(@RequestParam(name = "state", required = false) String state,
			@RequestParam(name = "page", defaultValue = "0") int page,
			@RequestParam(name = "size", defaultValue = "25") int size,
			Authentication authentication, Model model) {
		ConsoleUser user = authentication == null ? null : ConsoleUser.of(authentication);
		WorklistFilter filter = WorklistFilter.parse(state);
		ExamWorklist.Page result = worklist.page(filter, page, Math.min(Math.max(size, 1), ExamWorklist.MAX_PAGE_SIZE));
		boolean names = user != null && user.has(ConsoleRole.LAB_MANAGER);
		ZoneId zone = properties.zone();
		List<Column> columns = new ArrayList<>();
		for (Segment s : Segment.values()) {
			Target t = worklist.calculator().target(s);
			columns.add(new Column(s.key(), s.label(), t == null ? "no target" : "target " + t.label()));
		}
		List<Row> rows = result.rows().stream().map(e -> row(e, names, zone)).toList();
		model.addAttribute("filters", WorklistFilter.values());
		model.addAttribute("filter", filter);
		model.addAttribute("result", result);
		model.addAttribute("columns", columns);
		model.addAttribute("rows", rows);
		model.addAttribute("showNames", names);
		model.addAttribute("zone", zone.getId());
		model.addAttribute("sizes", List.of(10, 25, 50, 100));
		model.addAttribute("noReportAfter", age(properties.noReportAfter()));
		return "console/worklist";
	}

	/** {@code 24 h}, {@code 2 days}, {@code 30 min}. */
	static String age(java.time.Duration d) {
		if (d.toMinutes() % (24 * 60) == 0) {
			long days = d.toDays();
			return days + (days == 1 ? " day" : " days");
		}
		return d.toMinutes() % 60 == 0 ? d.toHours() + " h" : d.toMinutes() + " min";
	}

	private static Row row(ExamTurnaround e, boolean names, ZoneId zone) {
		List<Cell> cells = new ArrayList<>();
		List<String> overdueSegments = new ArrayList<>();
		for (SegmentTime t : e.segments()) {
			String elapsed = t.elapsedLabel();
			if (t.badge() == SegmentTime.Badge.RUNNING || t.badge() == SegmentTime.Badge.OVERDUE) {
				elapsed = elapsed + " so far";
			}
			if (t.badge() == SegmentTime.Badge.OVERDUE) {
				overdueSegments.add(t.segment().label() + " (target " + t.target().label() + ")");
			}
			cells.add(new Cell(t.segment().key(), t.badge().key(), t.badge().label(), Badges.css(t.badge()), elapsed));
		}
		Instant ordered = e.timeline().at(Milestone.ORDERED);
		boolean overdue = e.state() == ExamTurnaround.State.OVERDUE;
		return new Row(e.timeline().orderId(), e.timeline().orderIdPart(), e.timeline().exam(),
				names ? e.timeline().patientName() : null, e.timeline().patientReference(),
				ordered == null ? null : TIME.format(ordered.atZone(zone)), cells, e.state().key(), e.state().label(),
				Badges.css(e.state()), overdue, overdue ? "Overdue: " + String.join(", ", overdueSegments) : null);
	}
}
