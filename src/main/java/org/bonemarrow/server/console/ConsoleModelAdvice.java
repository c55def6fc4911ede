package org.bonemarrow.server.console;

import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.ModelAttribute;

/** Every console page knows who is signed in (the layout draws the navigation for their roles). */
@ControllerAdvice(basePackages = "org.bonemarrow.server.console")
public class ConsoleModelAdvice {

	@ModelAttribute("consoleUser")
	public ConsoleUser consoleUser(Authentication authentication) {
		if (authentication == null || authentication instanceof AnonymousAuthenticationToken) {
			return null;
		}
		return ConsoleUser.of(authentication);
	}
}
