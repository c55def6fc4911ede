package org.bonemarrow.server.console.operations.web;

import org.bonemarrow.server.console.operations.ConsoleDeliveries;
import org.bonemarrow.server.console.operations.Paging;
import org.springframework.security.core.Authentication;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * {@code /console/deliveries} (integration engineers; the console's security chain checks the role): counts
 * per receiver, the outbox's rows filtered by state, channel and receiver, and a Replay button per dead
 * letter, which posts, replays through {@code $replay}'s code, audits the user, and redirects back to the
 * list it came from with a notice (POST-redirect-GET).
 */
@Controller
public class DeliveriesController {

	private final ConsoleDeliveries deliveries;

	public DeliveriesController(ConsoleDeliveries deliveries) {
		this.deliveries = deliveries;
	}

	@GetMapping("/console/deliveries")
	public String page(@RequestParam(required = false) String state, @RequestParam(required = false) String channel,
			@RequestParam(required = false) String receiver, @RequestParam(required = false) Integer page,
			@RequestParam(required = false) Integer size, Model model) {
		ConsoleDeliveries.Filter filter = new ConsoleDeliveries.Filter(state, channel, receiver);
		model.addAttribute("filter", filter);
		model.addAttribute("states", ConsoleDeliveries.STATES);
		model.addAttribute("receivers", deliveries.receivers());
		model.addAttribute("times", ConsoleTimes.INSTANCE);
		try {
			model.addAttribute("result", deliveries.list(filter, Paging.of(page, size)));
		} catch (IllegalArgumentException e) {
			model.addAttribute("filterError", e.getMessage());
		}
		return "console/deliveries";
	}

	@PostMapping("/console/deliveries/{id}/replay")
	public String replay(@PathVariable String id, @RequestParam(required = false) String state,
			@RequestParam(required = false) String channel, @RequestParam(required = false) String receiver,
			@RequestParam(required = false) Integer page, Authentication authentication, RedirectAttributes redirect) {
		ConsoleActor actor = ConsoleActor.of(authentication);
		ConsoleDeliveries.ReplayOutcome outcome = deliveries.replay(id, actor.name(), actor.roles());
		redirect.addFlashAttribute("notice", (outcome.replayed() ? "" : "Not replayed: ") + outcome.message());
		// Back to the list the button was on: only these parameters, encoded by Spring (no open redirect).
		if (state != null && !state.isBlank()) {
			redirect.addAttribute("state", state);
		}
		if (channel != null && !channel.isBlank()) {
			redirect.addAttribute("channel", channel);
		}
		if (receiver != null && !receiver.isBlank()) {
			redirect.addAttribute("receiver", receiver);
		}
		if (page != null && page > 0) {
			redirect.addAttribute("page", page);
		}
		return "redirect:/console/deliveries";
	}
}
