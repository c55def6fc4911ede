package org.bonemarrow.server.console.signin;

import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;

/**
 * The embedded authorization server's sign-in form. The form posts to the same path, where Spring
 * Security checks the console user's password; the browser then goes back to {@code /oauth2/authorize}.
 */
@Controller
public class SignInPageController {

	@GetMapping("/sign-in")
	public String signIn() {
		return "sign-in";
	}
}
