package org.bonemarrow.server.console.operations;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restassured.response.Response;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.bonemarrow.server.support.ConsoleSession;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.TestReceiver;
import org.hl7.fhir.r4.model.Patient;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The operations pages over HTTP with a signed-in session: an integration engineer sees a dead letter with
 * its error and replays it from the page (then it is delivered), sees a refused HL7 v2 message with its ACK
 * code and error; an auditor searches the audit trail by patient and finds that search recorded, with no
 * patient name on the page.
 */
@FhirServerTest
class OperationsConsolePageTest extends RestTestBase {

	private static final Duration WAIT = Duration.ofSeconds(30);
	private static final Duration POLL = Duration.ofMillis(200);

	@Autowired
	DataSource dataSource;

	@Test
	void anEngineerReplaysADeadLetterFromThePage_andItIsDelivered() throws Exception {
		String family = "Pagefamily" + Fixtures.unique("x").substring(2).replace("-", "");
		ConsoleSession engineer = console("integration-engineer");
		TestReceiver down = new TestReceiver(Integer.MAX_VALUE);
		int receiverPort = Integer.parseInt(down.endpoint().replaceAll("^http://127\\.0\\.0\\.1:(\\d+)/.*$", "$1"));
		String subscription;
		String delivery;
		try {
			subscription = activeRestHookSubscription("Patient?family=" + family, down.endpoint());
			Patient p = Fixtures.patient(Fixtures.unique("MRN"));
			p.getNameFirstRep().setFamily(family);
			create(p);
			String failing = "/console/deliveries?state=failing&receiver=" + encode(subscription);
			Element row = await("failing on the page").atMost(WAIT).pollInterval(POLL)
					.until(() -> engineer.page(failing).selectFirst("#deliveries tbody tr[data-testid^=delivery-]"), r -> r != null);
			delivery = row.attr("data-testid").substring("delivery-".length());
			assertThat(row.selectFirst("[data-testid=delivery-state-" + delivery + "]").text()).isEqualTo("failing");
			assertThat(row.selectFirst("[data-testid=delivery-error-" + delivery + "]").text()).isNotBlank();
			assertThat(row.select("button")).as("no replay while it is still retried").isEmpty();
			// The retry window closing, made to happen now (see OperationsConsoleRestTest).
			JdbcTemplate jdbc = new JdbcTemplate(dataSource);
			long id = Long.parseLong(delivery.substring(3));
			await("dead-lettered between attempts").atMost(WAIT).pollInterval(Duration.ofMillis(50))
					.until(() -> jdbc.update("UPDATE BME_DELIVERY SET STATE = 'DEAD', DONE_AT = ? WHERE ID = ?"
							+ " AND STATE = 'PENDING' AND LEASE_OWNER IS NULL", Instant.now().toEpochMilli(), id) == 1);
		} finally {
			down.close();
		}

		Document dead = engineer.page("/console/deliveries?state=dead&receiver=" + encode(subscription));
		assertThat(dead.select("#receivers [data-testid='receiver-" + subscription + "']").text()).contains(subscription);
		Element row = dead.selectFirst("[data-testid=delivery-" + delivery + "]");
		assertThat(row).isNotNull();
		assertThat(row.selectFirst("[data-testid=delivery-state-" + delivery + "]").text()).isEqualTo("dead");
		assertThat(row.selectFirst("[data-testid=delivery-error-" + delivery + "]").text()).isNotBlank();
		Element button = row.selectFirst("#replay-" + delivery);
		assertThat(button).isNotNull();
		Element form = button.closest("form");
		assertThat(form.attr("method")).isEqualTo("post");

		try (TestReceiver up = new TestReceiver(0, receiverPort)) {
			Map<String, String> fields = new LinkedHashMap<>();
			form.select("input[type=hidden]").stream().filter(i -> !i.attr("name").equals("_csrf"))
					.forEach(i -> fields.put(i.attr("name"), i.attr("value")));
			Response replayed = engineer.post(form.attr("action"), fields);
			assertThat(replayed.statusCode()).isEqualTo(302);
			String back = replayed.header("Location").replaceFirst("^https?://[^/]+", "");
			assertThat(back).startsWith("/console/deliveries?").contains("state=dead");
			assertThat(engineer.page(back).select("#notice").text()).contains(delivery).contains("pending again");

			await("delivered").atMost(WAIT).pollInterval(POLL).until(() -> up.deliveries.size() == 1);
			assertThat(up.deliveries.get(0).deliveryId()).isEqualTo(delivery);
			await("delivered on the page").atMost(WAIT).pollInterval(POLL).until(() -> engineer
					.page("/console/deliveries?state=delivered&receiver=" + encode(subscription))
					.select("[data-testid=delivery-state-" + delivery + "]").text().equals("delivered"));
		}

		// A replay without the form's CSRF token is refused.
		assertThat(engineer.postWithoutCsrf(form.attr("action"), Map.of()).statusCode()).isEqualTo(403);
		// An auditor may not see the page nor press the button.
		ConsoleSession auditor = console("auditor");
		assertThat(auditor.get("/console/deliveries").statusCode()).isEqualTo(403);
		assertThat(auditor.post(form.attr("action"), Map.of()).statusCode()).isEqualTo(403);
		fhir().delete("/" + subscription).then().statusCode(200);
	}

	@Test
	void anEngineerSeesARefusedV2MessageWithItsAckCodeAndError() throws Exception {
		String controlId = Fixtures.unique("MSG-PAGE");
		String message = Files.readString(Path.of("sample-bundles/v2/order-missing-patient-identifier.invalid.hl7"))
				.replace("MSG-V2-0102", controlId).replace("PO-V2-0102", Fixtures.unique("PO-PAGE"));
		Response ack = given().port(port).basePath("").contentType("x-application/hl7-v2+er7; charset=UTF-8")
				.body(message.getBytes(StandardCharsets.UTF_8)).auth().preemptive().oauth2(token("ehr")).post("/hl7v2");
		assertThat(ack.asString()).contains("MSA|AE|" + controlId);

		ConsoleSession engineer = console("integration-engineer");
		Element row = await("listed").atMost(WAIT).pollInterval(POLL).until(() -> engineer
				.page("/console/v2?ack=AE&sender=ehr&type=" + encode("ORM^O01")).selectFirst("[data-testid=v2-" + controlId + "]"),
				r -> r != null);
		assertThat(row.selectFirst("[data-testid=v2-ack-" + controlId + "]").text()).isEqualTo("AE");
		assertThat(row.selectFirst("[data-testid=v2-error-" + controlId + "]").text()).contains("101").contains("PID-3")
				.contains("patient identifier list").doesNotContain("Ada");
		Document filteredOut = engineer.page("/console/v2?ack=AA&sender=ehr");
		assertThat(filteredOut.select("[data-testid=v2-" + controlId + "]")).isEmpty();
		assertThat(filteredOut.select("#refused-reports caption").text()).isNotBlank();
		assertThat(engineer.page("/console/v2?ack=XX").select("#results [role=alert]").text()).contains("AA, AE or AR");
	}

	@Test
	void anAuditorSearchesByPatient_seesReferencesNotNames_andTheSearchIsAudited() {
		String family = "Auditfamily" + Fixtures.unique("x").substring(2).replace("-", "");
		Patient p = Fixtures.patient(Fixtures.unique("MRN"));
		p.getNameFirstRep().setFamily(family);
		String patient = create(p);
		ConsoleSession auditor = console("auditor");

		assertThat(auditor.page("/console/audit").select("#audit-events")).as("no search before one is asked").isEmpty();
		String byPatient = "/console/audit?patient=" + encode(patient) + "&run=1";
		Document first = await("the patient's create on the page").atMost(WAIT).pollInterval(POLL)
				.until(() -> auditor.page(byPatient), d -> !d.select("#audit-events tbody tr[data-testid]").isEmpty());
		assertThat(first.select("#audit-events").text()).contains(patient).doesNotContain(family);

		Document own = await("the search's own record").atMost(WAIT).pollInterval(POLL)
				.until(() -> auditor.page("/console/audit?client=auditor&patient=" + encode(patient) + "&run=1"),
						d -> !d.select("#audit-events tbody tr[data-testid]").isEmpty());
		List<String> rows = own.select("#audit-events tbody tr[data-testid]").eachText();
		assertThat(rows).allSatisfy(text -> assertThat(text).contains("Query").contains("audit-search")
				.contains("auditor").contains(patient));
		assertThat(own.select("#audit-events").text()).doesNotContain(family);
		assertThat(auditor.page("/console/audit?resource=" + encode("Smith, John") + "&run=1")
				.select("#results [role=alert]").text()).contains("resource must be");
	}

	private static String encode(String value) {
		return URLEncoder.encode(value, StandardCharsets.UTF_8);
	}

}
