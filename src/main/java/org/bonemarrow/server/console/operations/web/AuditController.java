package org.bonemarrow.server.console.operations.web;

import java.time.LocalDate;
import org.bonemarrow.server.console.operations.ConsoleAuditSearch;
import org.bonemarrow.server.console.operations.Paging;
import org.springframework.format.annotation.DateTimeFormat;
import org.springframework.security.core.Authentication;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * {@code /console/audit} (auditors): the audit trail searched by client, patient, resource, outcome and
 * dates. Opening the page without criteria shows the form only; every search run is itself audited
 * ({@code ConsoleAudit}). Patients appear as references, never by name.
 */
@Controller
public class AuditController {

	private final ConsoleAuditSearch search;

	public AuditController(ConsoleAuditSearch search) {
		this.search = search;
	}

	@GetMapping("/console/audit")
	public String page(@RequestParam(required = false) String client, @RequestParam(required = false) String patient,
			@RequestParam(required = false) String resource, @RequestParam(required = false) String outcome,
			@RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
			@RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to,
			@RequestParam(required = false) Integer page, @RequestParam(required = false) Integer size,
			@RequestParam(required = false) String run, Authentication authentication, Model model) {
		ConsoleAuditSearch.Criteria criteria = new ConsoleAuditSearch.Criteria(client, patient, resource, outcome, from, to);
		model.addAttribute("criteria", criteria);
		model.addAttribute("outcomes", ConsoleAuditSearch.OUTCOMES);
		model.addAttribute("times", ConsoleTimes.INSTANCE);
		// A search is run (and audited) when asked: the form's button, or a link with criteria (the pager).
		boolean asked = run != null || page != null || hasAny(client, patient, resource, outcome) || from != null || to != null;
		if (asked) {
			ConsoleActor actor = ConsoleActor.of(authentication);
			try {
				model.addAttribute("result", this.search.search(criteria, Paging.of(page, size), actor.name(), actor.roles()));
			} catch (IllegalArgumentException e) {
				model.addAttribute("filterError", e.getMessage());
			}
		}
		return "console/audit";
	}

	private static boolean hasAny(String... values) {
		for (String v : values) {
			if (v != null && !v.isBlank()) {
				return true;
			}
		}
		return false;
	}
}
