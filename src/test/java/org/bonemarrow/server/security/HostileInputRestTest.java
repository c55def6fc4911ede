package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.restassured.response.Response;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.hl7.fhir.r4.model.AuditEvent;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile and malformed input from an authenticated client: each gets a clear 4xx OperationOutcome, and
 * the database holds nothing new afterwards (checked by searching for what the request tried to store).
 */
@FhirServerTest
class HostileInputRestTest extends RestTestBase {

	@Test
	void anOversizeBodyIs413_andNothingIsStored() {
		String family = Fixtures.unique("Oversize");
		String padding = "x".repeat(6 * 1024 * 1024);
		String body = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\",\"text\":\"" + padding + "\"}]}";
		Response r = fhir().body(body).post("/Patient");
		assertOutcome(r, 413, "exceeds the limit");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@Test
	void aBundleOverTheEntryLimitIs413_andNoEntryIsStored() {
		String family = Fixtures.unique("Flood");
		Bundle tx = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		for (int i = 0; i < 1001; i++) {
			Patient p = new Patient();
			p.addName().setFamily(family);
			tx.addEntry().setResource(p).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Patient");
		}
		assertOutcome(fhir().body(json(tx)).post(""), 413, "1001 entries");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@Test
	void xmlWithAnExternalEntityIs400_andNothingIsStoredOrLeaked() {
		String family = Fixtures.unique("Xxe");
		String xxe = "<?xml version=\"1.0\"?><!DOCTYPE Patient [<!ENTITY leak SYSTEM \"file:///etc/passwd\">]>"
				+ "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"" + family + "\"/>"
				+ "<given value=\"&leak;\"/></name></Patient>";
		Response r = fhir().contentType("application/fhir+xml").body(xxe).post("/Patient");
		assertOutcome(r, 400, "DOCTYPE");
		assertThat(r.asString()).doesNotContain("root:");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@Test
	void deeplyNestedJsonIs400_andNothingIsStored() {
		String family = Fixtures.unique("Deep");
		String nested = "[".repeat(5000) + "]".repeat(5000);
		String body = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}],\"extension\":" + nested + "}";
		assertOutcome(fhir().body(body).post("/Patient"), 400, "nested");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@ParameterizedTest
	@ValueSource(strings = {"text/plain", "application/octet-stream", "multipart/form-data; boundary=x"})
	void aWrongContentTypeIs415_andNothingIsStored(String contentType) {
		String family = Fixtures.unique("Type");
		String body = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}]}";
		assertOutcome(fhir().contentType(contentType).body(body.getBytes(java.nio.charset.StandardCharsets.UTF_8))
				.post("/Patient"), 415, "not accepted");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@ParameterizedTest
	@ValueSource(strings = {
		"/Patient?_sort=family;DROP%20TABLE%20HFJ_RESOURCE",
		"/Patient?name%27%20OR%201=1--=x",
		"/Patient?_count=1;DELETE%20FROM%20HFJ_RESOURCE",
		"/Patient?birthdate=2020-01-01%27%20OR%20%271%27=%271",
		"/Patient?_lastUpdated=gt2020%27%20OR%201=1"
	})
	void injectionInSearchSyntaxIs400(String search) {
		int before = total("/Patient");
		Response r = fhir().urlEncodingEnabled(false).get(search);
		assertThat(r.statusCode()).as(search).isEqualTo(400);
		assertThat(outcome(r).getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
		assertThat(total("/Patient")).isEqualTo(before);
	}

	@Test
	void injectionInASearchValueIsOnlyData_itMatchesNothing() {
		int before = total("/Patient");
		Response r = fhir().get("/Patient?family=x' OR '1'='1");
		r.then().statusCode(200);
		assertThat(bundle(r).getEntry()).isEmpty();
		assertThat(total("/Patient")).isEqualTo(before);
	}

	@Test
	void aReportReferringToAnotherPatientsSpecimenIs422_andNothingIsStored() {
		String alice = create(Fixtures.patient(Fixtures.unique("MRN")));
		String bob = create(Fixtures.patient(Fixtures.unique("MRN")));
		String alicesOrder = create(Fixtures.order(Fixtures.unique("PO"), alice));
		String bobsOrder = create(Fixtures.order(Fixtures.unique("PO"), bob));
		String bobsSpecimen = create(Fixtures.aspirate(bobsOrder, bob));

		Response r = fhir().body(json(Fixtures.report(alicesOrder, alice, DiagnosticReportStatus.FINAL, bobsSpecimen)))
				.post("/DiagnosticReport");
		assertOutcome(r, 422, bobsSpecimen + ", which belongs to a different patient");
		assertThat(total("/DiagnosticReport?based-on=" + alicesOrder)).isZero();
	}

	@Test
	void anObservationOnAnotherPatientsSpecimenIs422() {
		String alice = create(Fixtures.patient(Fixtures.unique("MRN")));
		String bob = create(Fixtures.patient(Fixtures.unique("MRN")));
		String bobsSpecimen = create(Fixtures.aspirate(create(Fixtures.order(Fixtures.unique("PO"), bob)), bob));
		Response r = fhir().body(json(Fixtures.meRatio(alice, bobsSpecimen, 3.0))).post("/Observation");
		assertOutcome(r, 422, "belongs to a different patient");
		assertThat(total("/Observation?subject=" + alice)).isZero();
	}

	// --- Content-Encoding: the limits apply to the body the parser reads -------------------------------

	@Test
	void aGzipBodyIsInflatedAndStored_asPlainJson() {
		String family = Fixtures.unique("GzipOk");
		Response r = gzipped(patientJson(family, "")).post("/Patient");
		assertThat(r.statusCode()).isEqualTo(201);
		assertThat(total("/Patient?family=" + family)).isOne();
	}

	@Test
	void gzipDoesNotHideDeepNesting_400_andNothingIsStored() {
		String family = Fixtures.unique("GzipDeep");
		String body = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\"}],\"extension\":"
				+ "[".repeat(403) + "]".repeat(403) + "}";
		assertOutcome(gzipped(body).post("/Patient"), 400, "nested more than 64 levels");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@Test
	void aSmallGzipBodyInflatingPastTheLimitIs413_andNothingIsStored() {
		String family = Fixtures.unique("GzipBig");
		byte[] compressed = gzip(patientJson(family, "x".repeat(8 * 1024 * 1024)));
		assertThat(compressed.length).isLessThan(16 * 1024);
		Response r = fhir().header("Content-Encoding", "gzip").body(compressed).post("/Patient");
		assertOutcome(r, 413, "inflates to more than the limit");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@Test
	void aGzipBombIs413() {
		// 1 MB of gzip that would inflate to about a gigabyte: inflation stops at the limit.
		Response r = fhir().header("Content-Encoding", "gzip").body(gzipBomb(1024 * 1024)).post("/Patient");
		assertOutcome(r, 413, "max-request-size");
	}

	@Test
	void aBodyThatIsNotGzipDespiteItsHeaderIs400() {
		String family = Fixtures.unique("NotGzip");
		Response r = fhir().header("Content-Encoding", "gzip").body(patientJson(family, "").getBytes(StandardCharsets.UTF_8))
				.post("/Patient");
		assertOutcome(r, 400, "not valid gzip");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@ParameterizedTest
	@ValueSource(strings = {"deflate", "br", "compress", "gzip, gzip"})
	void otherContentCodingsAre415_andNothingIsStored(String coding) {
		String family = Fixtures.unique("Coding");
		Response r = fhir().header("Content-Encoding", coding).body(gzip(patientJson(family, ""))).post("/Patient");
		assertOutcome(r, 415, "Content-Encoding");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@Test
	void theHl7v2EndpointGetsTheSameGzipLimits() {
		byte[] compressed = gzip("MSH|^~\\&|EHR|H|BME|H|20260101||ORM^O01|1|P|2.5\r" + "x".repeat(8 * 1024 * 1024));
		assertOutcome(v2("gzip", compressed), 413, "inflates to more than the limit");
		assertOutcome(v2("deflate", compressed), 415, "Content-Encoding");
	}

	private Response v2(String contentEncoding, byte[] body) {
		return io.restassured.RestAssured.given().port(port).basePath("").auth().preemptive().oauth2(token("lab"))
				.contentType("x-application/hl7-v2+er7; charset=UTF-8").header("Content-Encoding", contentEncoding)
				.body(body).post("/hl7v2");
	}

	// --- Numbers that would expand into memory ------------------------------------------------------------

	static java.util.stream.Stream<String> outOfRangeNumbers() {
		return java.util.stream.Stream.of("1e999999999", "-1E-999999999", "\"1e999999999\"", "1." + "2".repeat(1001));
	}

	@ParameterizedTest
	@MethodSource("outOfRangeNumbers")
	void anOutOfRangeNumberInJsonIs400_andNothingIsStored(String number) {
		String id = Fixtures.unique("Num");
		Response r = fhir().body(observationJson(id, number)).post("/Observation");
		assertOutcome(r, 400, "the limit is");
		assertThat(total("/Observation?identifier=urn:bme-test|" + id)).isZero();
		// The same Observation with an ordinary number is stored: the refusal is the number's.
		fhir().body(observationJson(id, "5.25")).post("/Observation").then().statusCode(201);
		assertThat(total("/Observation?identifier=urn:bme-test|" + id)).isOne();
	}

	@Test
	void anOutOfRangeNumberInXmlIs400_andNothingIsStored() {
		String id = Fixtures.unique("NumXml");
		String xml = "<Observation xmlns=\"http://hl7.org/fhir\"><identifier><system value=\"urn:bme-test\"/>"
				+ "<value value=\"" + id + "\"/></identifier><status value=\"final\"/><code><text value=\"weight\"/></code>"
				+ "<valueQuantity><value value=\"1e999999999\"/><unit value=\"kg\"/></valueQuantity></Observation>";
		assertOutcome(fhir().contentType("application/fhir+xml").body(xml).post("/Observation"), 400, "exponent of 999999999");
		assertThat(total("/Observation?identifier=urn:bme-test|" + id)).isZero();
	}

	@ParameterizedTest
	@ValueSource(strings = {"1e60000000", "gt1e9999", "1e60000000|http://unitsofmeasure.org|%", "le-1e-5000"})
	void anOutOfRangeNumberInASearchIs400_forTheReadOnlyClient(String value) {
		Response r = fhirAs("integration").queryParam("value-quantity", value).get("/Observation");
		assertOutcome(r, 400, "'value-quantity' has a number with an exponent");
		Response post = fhirAs("integration").contentType("application/x-www-form-urlencoded")
				.formParam("value-quantity", value).post("/Observation/_search");
		assertOutcome(post, 400, "'value-quantity' has a number with an exponent");
		// An ordinary quantity search still answers.
		assertThat(fhirAs("integration").queryParam("value-quantity", "gt5.4|http://unitsofmeasure.org|mg")
				.get("/Observation").statusCode()).isEqualTo(200);
	}

	// --- XML depth, NUL ---------------------------------------------------------------------------------

	@Test
	void deeplyNestedXmlIs400_andNothingIsStored() {
		String family = Fixtures.unique("DeepXml");
		String xml = "<Patient xmlns=\"http://hl7.org/fhir\">" + "<extension url=\"http://x.example/e\">".repeat(480)
				+ "<valueString value=\"x\"/>" + "</extension>".repeat(480) + "<name><family value=\"" + family
				+ "\"/></name></Patient>";
		assertOutcome(fhir().contentType("application/fhir+xml").body(xml).post("/Patient"), 400,
				"XML nested more than 64 levels");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@ParameterizedTest
	@ValueSource(strings = {"A\\u0000B", "A\u0000B"})
	void aNulInJsonIs400_andNothingIsStored(String name) {
		String family = Fixtures.unique("Nul");
		String body = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\",\"given\":[\"" + name + "\"]}]}";
		assertOutcome(fhir().body(body.getBytes(StandardCharsets.UTF_8)).post("/Patient"), 400, "NUL character");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	@ParameterizedTest
	@ValueSource(strings = {"&#0;", "&#x0;", "\u0000"})
	void aNulInXmlIs400_andNothingIsStored(String nul) {
		String family = Fixtures.unique("NulXml");
		String xml = "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"" + family + "\"/><given value=\"A"
				+ nul + "B\"/></name></Patient>";
		assertOutcome(fhir().contentType("application/fhir+xml").body(xml.getBytes(StandardCharsets.UTF_8)).post("/Patient"),
				400, "NUL character");
		assertThat(total("/Patient?family=" + family)).isZero();
	}

	// --- Over-long URLs: OperationOutcomes, never Tomcat's HTML page ------------------------------------------

	@Test
	void aUrlOverTheLimitIs414() {
		Response r = fhir().urlEncodingEnabled(false).get("/Patient?family=" + "a".repeat(10_000));
		assertOutcome(r, 414, "max-url-length");
		assertOutcome(fhir().urlEncodingEnabled(false).get("/Patient/" + "a".repeat(10_000)), 414, "max-url-length");
	}

	@ParameterizedTest
	@ValueSource(ints = {20 * 1024, 200 * 1024})
	void aUrlBeyondWhatTomcatReadsIs431_asAnOperationOutcome(int length) {
		Response r = fhir().urlEncodingEnabled(false).get("/Patient?family=" + "a".repeat(length));
		assertOutcome(r, 431, "server.max-http-request-header-size");
		assertThat(r.asString()).doesNotContain("<html");
	}

	// --- Swagger UI -------------------------------------------------------------------------------------------

	@ParameterizedTest
	@ValueSource(strings = {"/swagger-ui/anything", "/swagger-ui/no/such/file.js"})
	void aMissingSwaggerUiFileIs404_notA500(String path) {
		Response anonymous = anonymous().get(path);
		assertOutcome(anonymous, 404, "No such Swagger UI file");
		assertThat(anonymous.asString()).doesNotContain("META-INF", "webjars");
		assertOutcome(fhir().get(path), 404, "No such Swagger UI file");
		// The UI itself and the files its page loads are still served.
		assertThat(anonymous().accept("text/html").get("/swagger-ui/").statusCode()).isEqualTo(200);
		for (String file : List.of("swagger-ui.css", "index.css", "swagger-ui-bundle.js",
				"swagger-ui-standalone-preset.js", "raccoon.png")) {
			assertThat(anonymous().get("/swagger-ui/" + file).statusCode()).as(file).isEqualTo(200);
		}
		// The page links an optional custom stylesheet that HAPI has only when one is configured (not here).
		assertOutcome(anonymous().get("/swagger-ui/swagger-ui-custom.css"), 404, "No such Swagger UI file");
	}

	// --- X-Request-ID ---------------------------------------------------------------------------------------

	@Test
	void aLongClientRequestIdIsIgnored_andNeverReachesTheAuditTrail() {
		String patient = create(Fixtures.patient(Fixtures.unique("MRN")));
		String longId = "A".repeat(3000);
		Response r = fhir().header("X-Request-ID", longId).get("/" + patient);
		r.then().statusCode(200);
		assertThat(r.header("X-Request-ID")).isNotEqualTo(longId).hasSizeLessThanOrEqualTo(64);
		// A short, plain one is still taken, so the trail shows whether the header got through at all.
		String shortId = Fixtures.unique("req");
		fhir().header("X-Request-ID", shortId).get("/" + patient).then().statusCode(200);

		List<String> events = await("both reads audited").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
				.until(() -> auditEventsOf(patient), list -> list.size() >= 2 && list.stream().anyMatch(e -> e.contains(shortId)));
		assertThat(events).noneMatch(e -> e.contains(longId.substring(0, 100)));
	}

	private List<String> auditEventsOf(String resource) {
		Response r = fhir().get("/AuditEvent?entity=" + resource + "&action=R&agent-name=test-admin&_sort=-date&_count=20");
		r.then().statusCode(200);
		return bundle(r).getEntry().stream().map(e -> json((AuditEvent) e.getResource())).toList();
	}

	private static String patientJson(String family, String text) {
		return "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"" + family + "\",\"text\":\"" + text + "\"}]}";
	}

	private static String observationJson(String identifier, String value) {
		return "{\"resourceType\":\"Observation\",\"identifier\":[{\"system\":\"urn:bme-test\",\"value\":\"" + identifier
				+ "\"}],\"status\":\"final\",\"code\":{\"text\":\"weight\"},\"valueQuantity\":{\"value\":" + value
				+ ",\"unit\":\"kg\"}}";
	}

	private io.restassured.specification.RequestSpecification gzipped(String body) {
		return fhir().header("Content-Encoding", "gzip").body(gzip(body));
	}

	static byte[] gzip(String text) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
			gz.write(text.getBytes(StandardCharsets.UTF_8));
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		return out.toByteArray();
	}

	/** About {@code compressedSize} bytes of gzip that inflate to roughly a thousand times as much (zeros). */
	static byte[] gzipBomb(int compressedSize) {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		byte[] zeros = new byte[1024 * 1024];
		try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
			while (out.size() < compressedSize) {
				gz.write(zeros);
			}
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
		return out.toByteArray();
	}

	private static void assertOutcome(Response r, int status, String diagnosticsContain) {
		assertThat(r.statusCode()).isEqualTo(status);
		assertThat(r.contentType()).contains("fhir+json");
		OperationOutcome outcome = outcome(r);
		assertThat(outcome.getIssueFirstRep().getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
		assertThat(outcome.getIssueFirstRep().getDiagnostics()).contains(diagnosticsContain);
	}
}
