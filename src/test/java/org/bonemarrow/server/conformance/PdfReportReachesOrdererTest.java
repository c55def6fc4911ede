package org.bonemarrow.server.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restassured.response.Response;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.text.PDFTextStripper;
import org.bonemarrow.server.adapter.ResultNotificationReceivers;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.bonemarrow.server.support.TestReceiver;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Subscription;
import org.junit.jupiter.api.Test;

/**
 * The signed PDF a laboratory sends as DiagnosticReport.presentedForm reaches the orderer's EHR over FHIR: the
 * EHR (role ehr) places a US Core-shaped order and subscribes to its results, the laboratory (role lab) posts
 * its HL7 Europe-style result with the PDF, and what the EHR receives is the same PDF, readable as a PDF.
 * A PDF beyond the request size limit is refused whole. (The HL7 v2 way out is V2PdfReportTest.)
 */
@FhirServerTest
class PdfReportReachesOrdererTest extends RestTestBase {

	@Test
	void theLabsPdfIsDeliveredToTheOrderersSubscription_andIsTheSamePdf() throws IOException {
		String suffix = UUID.randomUUID().toString().substring(0, 8);
		Map<String, String> ids = placeOrder(suffix);
		try (TestReceiver ehr = new TestReceiver()) {
			subscribe(ehr, "DiagnosticReport?based-on=" + ids.get("ServiceRequest"));

			fhirAs("lab").body(PartnerFixtures.body("eu-lab-report-with-pdf.json", suffix, ids)).post("/").then().statusCode(200);

			await("the report reaches the orderer's EHR").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
					.until(() -> ehr.deliveries.stream().anyMatch(d -> d.body().contains("\"final\"")));
			DiagnosticReport delivered = CTX.newJsonParser().parseResource(DiagnosticReport.class,
					ehr.deliveries.stream().filter(d -> d.body().contains("\"final\"")).findFirst().orElseThrow().body());
			byte[] pdf = delivered.getPresentedFormFirstRep().getData();
			assertThat(delivered.getPresentedFormFirstRep().getContentType()).isEqualTo("application/pdf");
			assertThat(pdf).isEqualTo(PartnerFixtures.PDF);
			try (PDDocument document = Loader.loadPDF(pdf)) {
				assertThat(document.getNumberOfPages()).isEqualTo(1);
				assertThat(new PDFTextStripper().getText(document)).contains("Bone marrow examination report");
			}
		}
	}

	@Test
	void aPdfOverTheRequestSizeLimitIs413AndNothingOfTheResultIsStored() {
		String suffix = UUID.randomUUID().toString().substring(0, 8);
		Map<String, String> ids = placeOrder(suffix);
		// 4 MB of PDF is about 5.3 MB in base64: over the default 5 MB max-request-size.
		byte[] big = Arrays.copyOf(PartnerFixtures.PDF, 4 * 1024 * 1024);
		String body = PartnerFixtures.body("eu-lab-report-with-pdf.json", suffix, ids)
				.replace(Base64.getEncoder().encodeToString(PartnerFixtures.PDF), Base64.getEncoder().encodeToString(big));

		Response r = fhirAs("lab").body(body).post("/");

		r.then().statusCode(413);
		assertThat(outcome(r).getIssueFirstRep().getSeverity()).isIn(OperationOutcome.IssueSeverity.ERROR, OperationOutcome.IssueSeverity.FATAL);
		assertThat(total("/DiagnosticReport?based-on=" + ids.get("ServiceRequest"))).isZero();
		assertThat(total("/Specimen?patient=" + ids.get("Patient"))).isZero();
	}

	private Map<String, String> placeOrder(String suffix) {
		Response order = fhirAs("ehr").body(PartnerFixtures.body("us-core-order.json", suffix, Map.of())).post("/");
		order.then().statusCode(200);
		return new HashMap<>(PartnerFixtures.firstIdPerType(bundle(order)));
	}

	/** The EHR registers itself for its order's results, as ehr (Subscription.c), like a real EHR would. */
	private void subscribe(TestReceiver receiver, String criteria) {
		Subscription s = new Subscription();
		s.setStatus(Subscription.SubscriptionStatus.REQUESTED);
		s.setReason("Results for my orders");
		s.setCriteria(criteria);
		s.getChannel().setType(Subscription.SubscriptionChannelType.RESTHOOK)
				.setEndpoint(receiver.endpoint()).setPayload("application/fhir+json");
		ResultNotificationReceivers.withRetries(s, 3);
		Response r = fhirAs("ehr").body(json(s)).post("/Subscription");
		r.then().statusCode(201);
		String id = idFromLocation(r.header("Location"));
		await("subscription active").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
				.until(() -> parse(fhir().get("/" + id), Subscription.class).getStatus() == Subscription.SubscriptionStatus.ACTIVE);
	}
}
