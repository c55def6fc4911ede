package org.bonemarrow.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import org.bonemarrow.server.support.Browser;
import org.bonemarrow.server.support.ConsoleSessions;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * The console in a real browser (Debian's chromium), against the shared test server: people sign in on
 * the authorization server's form and use the pages as they would. A screenshot of each page is kept in
 * {@code target/screenshots/}.
 */
@FhirServerTest
class ConsoleBrowserTest extends RestTestBase {

	@Test
	void anAuditorSignsInAndCannotSeeTheDeliveriesPage() {
		try (Browser browser = Browser.open(port)) {
			browser.go("/");
			browser.screenshot("landing");
			browser.find(By.id("link-console")).click();
			browser.signIn("auditor", ConsoleSessions.password(consoleUsers.file(), "auditor"));
			assertThat(browser.await(By.id("signed-in-user")).getText()).isEqualTo("auditor");
			assertThat(browser.driver.findElements(By.id("nav-deliveries"))).isEmpty();

			browser.go("/console/deliveries");
			assertThat(browser.await(By.id("forbidden")).getText()).isEqualTo("Not allowed for your role");
			browser.screenshot("auditor-refused-deliveries");
		}
	}
}
