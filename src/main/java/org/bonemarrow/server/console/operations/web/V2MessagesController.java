package org.bonemarrow.server.console.operations.web;

import java.time.LocalDate;
import org.bonemarrow.server.console.operations.ConsoleV2Messages;
import org.bonemarrow.server.console.operations.Paging;
import org.springframework.format.annotation.DateTimeFormat;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * {@code /console/v2} (integration engineers): inbound HL7 v2 messages with their ACK code and error,
 * filtered by ACK code, sender, type and date, and the FHIR writes of reports that were refused (first page,
 * same dates).
 */
@Controller
public class V2MessagesController {

	private final ConsoleV2Messages messages;

	public V2MessagesController(ConsoleV2Messages messages) {
		this.messages = messages;
	}

	@GetMapping("/console/v2")
	public String page(@RequestParam(required = false) String ack, @RequestParam(required = false) String sender,
			@RequestParam(required = false) String type,
			@RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate from,
			@RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) LocalDate to,
			@RequestParam(required = false) Integer page, @RequestParam(required = false) Integer size, Model model) {
		ConsoleV2Messages.Filter filter = new ConsoleV2Messages.Filter(ack, sender, type, from, to);
		model.addAttribute("filter", filter);
		model.addAttribute("ackCodes", ConsoleV2Messages.ACK_CODES);
		model.addAttribute("times", ConsoleTimes.INSTANCE);
		try {
			model.addAttribute("result", messages.list(filter, Paging.of(page, size)));
		} catch (IllegalArgumentException e) {
			model.addAttribute("filterError", e.getMessage());
		}
		model.addAttribute("refusedReports", messages.refusedReports(from, to, Paging.of(0, Paging.DEFAULT_SIZE)));
		return "console/v2";
	}
}
