package org.bonemarrow.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bonemarrow.server.support.Browser;
import org.bonemarrow.server.support.ServerProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * What the issue calls done, as a new user does it: a server started on a fresh data folder prints the
 * console users' passwords; in a real browser the lab manager opens the landing page, signs in with the
 * printed password, loads the sample exams on the empty server, and sees their turnaround in the
 * worklist and on the dashboard. The screenshots the README shows are taken here.
 */
class ConsoleFirstRunProcessTest {

	private static final Pattern PRINTED = Pattern.compile("^\\s+lab-manager / (\\S+)\\s+roles \\[lab-manager]", Pattern.MULTILINE);

	@TempDir
	Path folder;

	@Test
	void aNewUserSignsInWithThePrintedPasswordAndSeesTheSampleExamsTurnaround() throws Exception {
		Path log = folder.resolve("server.log");
		try (ServerProcess server = ServerProcess.start(folder.resolve("data"), log);
				Browser browser = Browser.open(server.port)) {
			Matcher printed = PRINTED.matcher(Files.readString(log));
			assertThat(printed.find()).as("the lab manager's password printed at first start").isTrue();

			browser.go("/");
			browser.find(By.id("link-console")).click();
			assertThat(browser.await(By.id("username")).isDisplayed()).isTrue();
			browser.screenshot("sign-in");
			browser.signIn("lab-manager", printed.group(1));

			browser.await(By.id("load-sample-exams")).click();
			List<WebElement> rows = browser.await(By.id("worklist")).findElements(By.cssSelector("[data-testid=worklist-row]"));
			assertThat(rows).hasSize(6);
			assertThat(browser.find(By.id("notice")).getText()).isEqualTo("6 sample exams stored.");
			// A finished sample shows its measured segments (from its real collection, receipt and report times).
			assertThat(rows.get(0).getText()).containsPattern("\\d+(\\.\\d+)? ?(h|d|days|hours)");
			browser.screenshot("worklist");

			// Stored through the FHIR path: the orders are there for any FHIR client too.
			assertThat(server.fhir().get("/ServiceRequest?_summary=count").jsonPath().getInt("total")).isEqualTo(6);

			browser.find(By.id("nav-turnaround")).click();
			assertThat(browser.await(By.cssSelector("canvas[data-testid=turnaround-chart]")).isDisplayed()).isTrue();
			assertThat(browser.find(By.id("exam-count")).getText()).isEqualTo("6");
			browser.screenshot("turnaround");

			// Offered no more: the server holds exams now.
			browser.go("/console");
			assertThat(browser.driver.findElements(By.id("load-sample-exams"))).isEmpty();
		}
	}
}
