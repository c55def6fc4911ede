package org.bonemarrow.server.console;

import jakarta.servlet.http.HttpServletResponse;
import org.bonemarrow.server.console.samples.SampleExams;
import org.springframework.security.core.Authentication;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;

/**
 * The landing page at {@code /} (what this server is and where its doors are: FHIR base, API docs,
 * console), the console's home, and the page a role without access sees.
 */
@Controller
public class ConsoleHomeController {

	private final String serverName;
	private final boolean apiDocs;
	private final SampleExams samples;

	public ConsoleHomeController(@Value("${bonemarrow.fhir.server-name:Bone Marrow Exam FHIR Server}") String serverName,
			@Value("${bonemarrow.fhir.openapi-enabled:true}") boolean apiDocs, SampleExams samples) {
		this.serverName = serverName;
		this.apiDocs = apiDocs;
		this.samples = samples;
	}

	@GetMapping("/")
	public String landing(Model model) {
		model.addAttribute("serverName", serverName);
		model.addAttribute("apiDocs", apiDocs);
		return "landing";
	}

	@GetMapping("/console")
	public String home(Authentication authentication, Model model) {
		model.addAttribute("sampleExamsOffered",
				ConsoleUser.of(authentication).has(ConsoleRole.LAB_MANAGER) && samples.offered());
		return "console/home";
	}

	/**
	 * Spring Security forwards here with 403 when a signed-in role may not open a page or a form is
	 * posted without its CSRF token; the forward keeps the request's method, hence any method.
	 */
	@RequestMapping("/console/forbidden")
	public String forbidden(HttpServletResponse response) {
		response.setStatus(HttpServletResponse.SC_FORBIDDEN);
		return "console/forbidden";
	}
}
