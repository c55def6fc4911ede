package org.bonemarrow.server.console.samples;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import org.bonemarrow.server.console.ConsoleUser;
import org.springframework.security.core.Authentication;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** A lab manager's "load the sample exams" on an empty server (the console home offers it). */
@Controller
public class SampleExamsController {

	private final SampleExams samples;

	public SampleExamsController(SampleExams samples) {
		this.samples = samples;
	}

	@PostMapping("/console/samples")
	public String load(Authentication authentication, RedirectAttributes redirect) {
		try {
			int stored = samples.load(ConsoleUser.of(authentication));
			redirect.addFlashAttribute("notice", stored == 0
					? "The server already holds exams; the samples are only offered to an empty server."
					: stored + " sample exams stored.");
			return stored == 0 ? "redirect:/console" : "redirect:/console/worklist";
		} catch (BaseServerResponseException refused) {
			// Not expected (the samples pass validation in the build); said plainly rather than as a 500.
			redirect.addFlashAttribute("notice", "The sample exams could not be stored: HTTP " + refused.getStatusCode());
			return "redirect:/console";
		}
	}
}
