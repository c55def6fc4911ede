package org.bonemarrow.server.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import javax.sql.DataSource;
import org.bonemarrow.server.support.Browser;
import org.bonemarrow.server.support.ConsoleSession;
import org.bonemarrow.server.support.ConsoleSessions;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.TestReceiver;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import static io.restassured.RestAssured.given;

/**
 * The console in a real browser (Debian's chromium), against the shared test server: people sign in on
 * the authorization server's form and use the pages as they would, by clicking. A screenshot of each page
 * is kept in {@code target/screenshots/}.
 */
@FhirServerTest
class ConsoleBrowserTest extends RestTestBase {

	private static final Duration WAIT = Duration.ofSeconds(30);
	private static final Duration POLL = Duration.ofMillis(200);

	@Autowired
	DataSource dataSource;

	@Test
	void anAuditorSignsInAndCannotSeeTheDeliveriesPage() {
		try (Browser browser = Browser.open(port)) {
			browser.go("/");
			browser.screenshot("landing");
			browser.find(By.id("link-console")).click();
			signIn(browser, "auditor");
			assertThat(browser.await(By.id("signed-in-user")).getText()).isEqualTo("auditor");
			assertThat(browser.driver.findElements(By.id("nav-deliveries"))).isEmpty();

			browser.go("/console/deliveries");
			assertThat(browser.await(By.id("forbidden")).getText()).isEqualTo("Not allowed for your role");
			browser.screenshot("auditor-refused-deliveries");

			// The auditor's own subject: a patient record just written, found in the trail by its reference.
			String patient = create(Fixtures.patient(Fixtures.unique("MRN")));
			browser.find(By.id("nav-audit")).click();
			browser.await(By.id("patient")).sendKeys(patient);
			await("the patient's create in the trail").atMost(WAIT).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
					.until(() -> {
						browser.find(By.id("audit-search-run")).click();
						return !browser.await(By.id("audit-events"))
								.findElements(By.cssSelector("tbody tr[data-testid^=audit-]")).isEmpty();
					});
			assertThat(browser.find(By.id("audit-events")).getText()).contains(patient);
			browser.screenshot("audit");
		}
	}

	@Test
	void theLabManagerSeesAnOverdueExamFlaggedInTheWorklist() {
		Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
		String patient = create(Fixtures.patient(Fixtures.unique("MRN")));
		ServiceRequest order = Fixtures.order(Fixtures.unique("PO"), patient);
		order.setAuthoredOnElement(new DateTimeType(now.minus(Duration.ofDays(9)).toString()));
		String orderId = create(order);
		var aspirate = Fixtures.aspirate(orderId, patient);
		aspirate.getCollection().setCollected(new DateTimeType(now.minus(Duration.ofDays(8)).toString()));
		aspirate.setReceivedTimeElement(new DateTimeType(now.minus(Duration.ofDays(8)).plus(Duration.ofHours(3)).toString()));
		create(aspirate);

		try (Browser browser = Browser.open(port)) {
			browser.go("/console/worklist");
			signIn(browser, "lab-manager");
			browser.await(By.id("state"));
			new org.openqa.selenium.support.ui.Select(browser.find(By.id("state"))).selectByValue("overdue");
			browser.find(By.id("apply-filters")).click();
			WebElement row = await("the overdue exam listed").atMost(WAIT).pollInterval(POLL).until(() -> browser.driver
					.findElements(By.cssSelector("tr[data-testid=worklist-row][data-order='" + orderId + "']")).stream()
					.findFirst().orElse(null), r -> r != null);
			assertThat(row.findElement(By.cssSelector("[data-testid=overdue-flag]")).getText()).isEqualTo("Overdue");
			assertThat(row.findElement(By.cssSelector("[data-testid=patient]")).getText()).contains("Testperson");
			assertThat(browser.path()).contains("state=overdue");
			browser.screenshot("worklist-overdue");

			browser.find(By.id("nav-turnaround")).click();
			assertThat(browser.await(By.cssSelector("canvas[data-testid=turnaround-chart]")).isDisplayed()).isTrue();
			assertThat(Integer.parseInt(browser.find(By.id("overdue-open-count")).getText())).isPositive();
		}
	}

	@Test
	void anEngineerReplaysADeadLetteredDeliveryFromThePageAndSeesARefusedV2Message() throws Exception {
		// A refused HL7 v2 order (no patient identifier): AE with its error.
		String controlId = Fixtures.unique("MSG-BROWSER");
		String message = Files.readString(Path.of("sample-bundles/v2/order-missing-patient-identifier.invalid.hl7"))
				.replace("MSG-V2-0102", controlId).replace("PO-V2-0102", Fixtures.unique("PO-BROWSER"));
		String ack = given().port(port).basePath("").contentType("x-application/hl7-v2+er7; charset=UTF-8")
				.body(message.getBytes(StandardCharsets.UTF_8)).auth().preemptive().oauth2(token("ehr"))
				.post("/hl7v2").asString();
		assertThat(ack).contains("MSA|AE|" + controlId);

		// A delivery that failed until its retry window closed: dead-lettered.
		String family = "Browserfamily" + Fixtures.unique("x").substring(2).replace("-", "");
		TestReceiver down = new TestReceiver(Integer.MAX_VALUE);
		int receiverPort = Integer.parseInt(down.endpoint().replaceAll("^http://127\\.0\\.0\\.1:(\\d+)/.*$", "$1"));
		String subscription;
		long deliveryId;
		try {
			subscription = activeRestHookSubscription("Patient?family=" + family, down.endpoint());
			Patient p = Fixtures.patient(Fixtures.unique("MRN"));
			p.getNameFirstRep().setFamily(family);
			create(p);
			JdbcTemplate jdbc = new JdbcTemplate(dataSource);
			ConsoleSession engineer = console("integration-engineer");
			String failing = "/console/deliveries?state=failing&receiver=" + URLEncoder.encode(subscription, StandardCharsets.UTF_8);
			String testId = await("failing after its first attempt").atMost(WAIT).pollInterval(POLL)
					.until(() -> engineer.page(failing).select("#deliveries tbody tr[data-testid^=delivery-]").attr("data-testid"),
							t -> !t.isEmpty());
			deliveryId = Long.parseLong(testId.substring("delivery-BMD".length()));
			// The 72-hour window closing, made to happen now (between two attempts).
			await("dead-lettered").atMost(WAIT).pollInterval(Duration.ofMillis(50))
					.until(() -> jdbc.update("UPDATE BME_DELIVERY SET STATE = 'DEAD', DONE_AT = ? WHERE ID = ?"
							+ " AND STATE = 'PENDING' AND LEASE_OWNER IS NULL", Instant.now().toEpochMilli(), deliveryId) == 1);
		} finally {
			down.close();
		}

		try (Browser browser = Browser.open(port); TestReceiver up = new TestReceiver(0, receiverPort)) {
			browser.go("/console");
			signIn(browser, "integration-engineer");
			browser.await(By.id("nav-deliveries")).click();
			browser.go("/console/deliveries?state=dead&receiver=" + URLEncoder.encode(subscription, StandardCharsets.UTF_8));
			String id = "BMD" + deliveryId;
			WebElement row = browser.await(By.id("delivery-" + id));
			assertThat(row.findElement(By.cssSelector("[data-testid=delivery-state-" + id + "]")).getText()).isEqualTo("dead");
			assertThat(row.findElement(By.cssSelector("[data-testid=delivery-error-" + id + "]")).getText()).isNotBlank();
			browser.screenshot("deliveries-dead-letter");

			browser.find(By.id("replay-" + id)).click();
			assertThat(browser.await(By.id("notice")).getText()).contains(id).contains("pending again");
			await("delivered to the receiver").atMost(WAIT).pollInterval(POLL).until(() -> up.deliveries.size() == 1);
			browser.go("/console/deliveries?state=delivered&receiver=" + URLEncoder.encode(subscription, StandardCharsets.UTF_8));
			assertThat(browser.await(By.cssSelector("[data-testid=delivery-state-" + id + "]")).getText()).isEqualTo("delivered");
			browser.screenshot("deliveries-replayed");

			browser.find(By.id("nav-v2")).click();
			new org.openqa.selenium.support.ui.Select(browser.await(By.id("ack"))).selectByValue("AE");
			browser.find(By.id("sender")).sendKeys("ehr");
			browser.find(By.id("sender")).submit();
			// htmx swaps the results in place and pushes the filtered URL: read the row once the swap is done.
			await("the filtered list").atMost(WAIT).pollInterval(POLL).until(() -> browser.path().contains("ack=AE"));
			await("the refused message with its ACK code and error").atMost(WAIT).pollInterval(POLL).ignoreExceptions()
					.until(() -> {
						WebElement v2 = browser.find(By.cssSelector("[data-testid=v2-" + controlId + "]"));
						return v2.findElement(By.cssSelector("[data-testid=v2-ack-" + controlId + "]")).getText().equals("AE")
								&& v2.findElement(By.cssSelector("[data-testid=v2-error-" + controlId + "]")).getText().contains("PID-3");
					});
			browser.screenshot("v2-messages");
		} finally {
			fhir().delete("/" + subscription);
		}
	}

	private void signIn(Browser browser, String user) {
		browser.signIn(user, ConsoleSessions.password(consoleUsers.file(), user));
	}

}
