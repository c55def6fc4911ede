package org.bonemarrow.server.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.OperationOutcomeIssueComponent;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The parser side of strict request parsing, without a server: which content is refused, where the
 * OperationOutcome says it is, and that the same FhirContext stays lenient outside a request's body parse
 * and in lenient mode. The REST behaviour (status, nothing stored) is StrictRequestParsingRestTest.
 */
class StrictRequestParsingTest {

	private static final StrictRequestParsing strict = new StrictRequestParsing(ParsingMode.STRICT);
	/** One context for all cases (building one takes seconds); the strict handler is the same for all. */
	private static final FhirContext STRICT_CONTEXT = newStrictContext();

	@AfterEach
	void leaveTheRequestWindow() {
		strict.requestDone();
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', textBlock = """
		misspelt element     | json | {"resourceType":"ServiceRequest","status":"active","statusReasonX":"x","intent":"order","subject":{"reference":"Patient/1"}} | statusReasonX | ServiceRequest.statusReasonX
		R5 element           | json | {"resourceType":"ServiceRequest","status":"active","intent":"order","bodyStructure":{"reference":"BodyStructure/1"},"subject":{"reference":"Patient/1"}} | bodyStructure | ServiceRequest.bodyStructure
		nested in datatype   | json | {"resourceType":"ServiceRequest","status":"active","intent":"order","code":{"text":"x","txt":"y"},"subject":{"reference":"Patient/1"}} | txt | ServiceRequest.code.txt
		in a contained       | json | {"resourceType":"ServiceRequest","contained":[{"resourceType":"Specimen","id":"s1","colour":"red"}],"status":"active","intent":"order","subject":{"reference":"Patient/1"}} | colour | ServiceRequest.contained[0].colour
		in a bundle entry    | json | {"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}},{"resource":{"resourceType":"ServiceRequest","status":"active","intent":"order","bodyStructure":{"reference":"BodyStructure/1"},"subject":{"reference":"Patient/1"}},"request":{"method":"POST","url":"ServiceRequest"}}]} | bodyStructure | Bundle.entry[1].resource.bodyStructure
		wrong type object    | json | {"resourceType":"ServiceRequest","status":"active","intent":"order","code":"bone marrow","subject":{"reference":"Patient/1"}} | code | ServiceRequest.code
		object for array     | json | {"resourceType":"ServiceRequest","status":"active","intent":"order","note":{"text":"n"},"subject":{"reference":"Patient/1"}} | note | ServiceRequest.note
		object for primitive | json | {"resourceType":"ServiceRequest","status":{"value":"active"},"intent":"order","subject":{"reference":"Patient/1"}} | status | ServiceRequest.status
		array for one        | json | {"resourceType":"ServiceRequest","status":"active","intent":"order","subject":[{"reference":"Patient/1"},{"reference":"Patient/2"}]} | subject | ServiceRequest.subject
		xml misspelt element | xml  | <ServiceRequest xmlns="http://hl7.org/fhir"><status value="active"/><statusReasonX value="x"/><intent value="order"/><subject><reference value="Patient/1"/></subject></ServiceRequest> | statusReasonX | ServiceRequest.statusReasonX
		xml unknown attribute| xml  | <ServiceRequest xmlns="http://hl7.org/fhir"><status value="active" reason="x"/><intent value="order"/><subject><reference value="Patient/1"/></subject></ServiceRequest> | reason | ServiceRequest.status
		xml repeated element | xml  | <ServiceRequest xmlns="http://hl7.org/fhir"><status value="active"/><status value="draft"/><intent value="order"/><subject><reference value="Patient/1"/></subject></ServiceRequest> | status | ServiceRequest.status
		xml in a bundle entry| xml  | <Bundle xmlns="http://hl7.org/fhir"><type value="transaction"/><entry><resource><ServiceRequest><status value="active"/><intent value="order"/><bodyStructure><reference value="BodyStructure/1"/></bodyStructure><subject><reference value="Patient/1"/></subject></ServiceRequest></resource><request><method value="POST"/><url value="ServiceRequest"/></request></entry></Bundle> | bodyStructure | Bundle.entry[0].resource.bodyStructure
		""")
	void refusedInTheBodyOfARequestNamingElementAndPlace(String what, String format, String body, String name,
			String expression) {
		FhirContext context = strictContext();
		strict.bodyParsingStarts(request(context, body, format));

		assertThatThrownBy(() -> parser(context, format).parseResource(body))
				.isInstanceOfSatisfying(InvalidRequestException.class, refused -> {
					OperationOutcome outcome = (OperationOutcome) refused.getOperationOutcome();
					assertThat(outcome.getIssue()).hasSize(1);
					OperationOutcomeIssueComponent issue = outcome.getIssueFirstRep();
					assertThat(issue.getSeverity()).isEqualTo(OperationOutcome.IssueSeverity.ERROR);
					assertThat(issue.getCode()).isEqualTo(OperationOutcome.IssueType.STRUCTURE);
					assertThat(issue.getDiagnostics()).contains("'" + name + "'").contains(expression)
							.contains("Nothing was stored");
					assertThat(issue.getExpression()).extracting(Object::toString).containsExactly(expression);
					assertThat(issue.getLocation()).extracting(Object::toString).containsExactly(expression);
				});
	}

	static Stream<Path> wellFormedR4() throws IOException {
		List<Path> files = new ArrayList<>();
		for (Path folder : List.of(Path.of("src/test/resources/r4-examples"), Path.of("sample-bundles"))) {
			try (Stream<Path> listed = Files.list(folder)) {
				listed.filter(f -> f.toString().endsWith(".json") && !f.endsWith("manifest.json")).sorted().forEach(files::add);
			}
		}
		return files.stream();
	}

	/**
	 * The official R4 examples (as published, not re-encoded by a lenient parser) and our sample exam
	 * bundles, in JSON and in XML, parse under the strict handler, and the locator finds nothing in them.
	 */
	@ParameterizedTest(name = "{0}")
	@MethodSource("wellFormedR4")
	void officialExamplesAndSampleBundlesParseStrictly(Path file) throws IOException {
		FhirContext context = strictContext();
		String json = Files.readString(file);
		strict.bodyParsingStarts(request(context, json, "json"));
		IBaseResource parsed = context.newJsonParser().parseResource(json);
		String xml = context.newXmlParser().encodeResourceToString(parsed);
		strict.bodyParsingStarts(request(context, xml, "xml"));
		context.newXmlParser().parseResource(xml);

		ParseProblemLocator locator = new ParseProblemLocator(context);
		assertThat(locator.locate(json, false)).isEmpty();
		assertThat(locator.locate(xml, true)).isEmpty();
	}

	@Test
	void everyProblemInTheBodyIsListedAtOnce() {
		FhirContext context = strictContext();
		String body = """
				{"resourceType":"ServiceRequest","statusReasonX":"x","status":"active","intent":"order",
				 "bodyStructure":{"reference":"BodyStructure/1"},"subject":{"reference":"Patient/1"}}""";
		strict.bodyParsingStarts(request(context, body, "json"));

		assertThatThrownBy(() -> context.newJsonParser().parseResource(body))
				.isInstanceOfSatisfying(InvalidRequestException.class, refused -> assertThat(
						((OperationOutcome) refused.getOperationOutcome()).getIssue())
						.flatExtracting(OperationOutcomeIssueComponent::getExpression).extracting(Object::toString)
						.containsExactly("ServiceRequest.statusReasonX", "ServiceRequest.bodyStructure"));
	}

	/** HAPI drops both; R4 requires Extension.url (ext-1) and an id on a contained resource (dom-3 refers to it). */
	@ParameterizedTest
	@CsvSource(delimiter = '|', textBlock = """
		{"resourceType":"ServiceRequest","extension":[{"valueString":"x"}],"status":"active","intent":"order"} | Required element 'url' is missing
		{"resourceType":"ServiceRequest","contained":[{"resourceType":"Patient"}],"status":"active","intent":"order"} | A contained resource has no id
		""")
	void whatHapiWouldDropWithoutAnUnknownNameIsRefusedToo(String body, String diagnostics) {
		FhirContext context = strictContext();
		strict.bodyParsingStarts(request(context, body, "json"));

		assertThatThrownBy(() -> context.newJsonParser().parseResource(body))
				.isInstanceOfSatisfying(InvalidRequestException.class, refused -> assertThat(
						((OperationOutcome) refused.getOperationOutcome()).getIssueFirstRep().getDiagnostics())
						.contains(diagnostics).contains("Nothing was stored"));
	}

	@Test
	void aHostileBodyGetsABoundedAnswer() {
		FhirContext context = strictContext();
		StringBuilder body = new StringBuilder("{\"resourceType\":\"ServiceRequest\"");
		for (int i = 0; i < 150; i++) {
			body.append(",\"unknown").append(i).append("\":1");
		}
		String text = body.append("}").toString();
		strict.bodyParsingStarts(request(context, text, "json"));

		assertThatThrownBy(() -> context.newJsonParser().parseResource(text))
				.isInstanceOfSatisfying(InvalidRequestException.class, refused -> {
					List<OperationOutcomeIssueComponent> issues = ((OperationOutcome) refused.getOperationOutcome()).getIssue();
					assertThat(issues).hasSize(101);
					assertThat(issues.get(100).getDiagnostics()).startsWith("50 more problems");
				});
	}

	@Test
	void extensionsFhirCommentsAndPrimitiveExtensionsAreNotUnknown() {
		FhirContext context = strictContext();
		String body = """
				{"resourceType":"ServiceRequest","fhir_comments":["a comment"],
				 "extension":[{"url":"http://example.org/any-extension","valueString":"x"}],
				 "modifierExtension":[{"url":"http://example.org/any-modifier","valueBoolean":false}],
				 "status":"active","_status":{"extension":[{"url":"http://example.org/e","valueCode":"c"}]},
				 "intent":"order","subject":{"reference":"Patient/1"}}""";
		strict.bodyParsingStarts(request(context, body, "json"));

		ServiceRequest parsed = context.newJsonParser().parseResource(ServiceRequest.class, body);

		assertThat(parsed.getExtension()).hasSize(1);
		assertThat(parsed.getModifierExtension()).hasSize(1);
		assertThat(parsed.getStatusElement().getExtension()).hasSize(1);
		assertThat(new ParseProblemLocator(context).locate(body, false)).isEmpty();
	}

	@Test
	void outsideARequestBodyTheSameContextStaysLenient() {
		FhirContext context = strictContext();
		String body = "{\"resourceType\":\"ServiceRequest\",\"status\":\"active\",\"statusReasonX\":\"x\"}";

		// Stored-resource reads, the package installer, v2 mapping, delivery: no request body being parsed.
		ServiceRequest parsed = context.newJsonParser().parseResource(ServiceRequest.class, body);

		assertThat(parsed.getStatus()).isEqualTo(ServiceRequest.ServiceRequestStatus.ACTIVE);
		strict.bodyParsingStarts(request(context, body, "json"));
		strict.bodyParsed();
		assertThat(context.newJsonParser().parseResource(ServiceRequest.class, body).getStatus())
				.isEqualTo(ServiceRequest.ServiceRequestStatus.ACTIVE);
	}

	@Test
	void lenientModeLeavesHapisDefault() {
		FhirContext context = FhirContext.forR4();
		RestfulServer server = new RestfulServer(context);
		StrictRequestParsing lenient = new StrictRequestParsing(ParsingMode.LENIENT);
		lenient.customize(server);
		String body = "{\"resourceType\":\"ServiceRequest\",\"status\":\"active\",\"statusReasonX\":\"x\"}";
		lenient.bodyParsingStarts(request(context, body, "json"));
		try {
			assertThat(context.newJsonParser().parseResource(ServiceRequest.class, body).getStatus())
					.isEqualTo(ServiceRequest.ServiceRequestStatus.ACTIVE);
		} finally {
			lenient.requestDone();
		}
		assertThat(server.getInterceptorService().getAllRegisteredInterceptors()).doesNotContain(lenient);
	}

	private static FhirContext strictContext() {
		return STRICT_CONTEXT;
	}

	private static FhirContext newStrictContext() {
		FhirContext context = FhirContext.forR4();
		strict.customize(new RestfulServer(context));
		return context;
	}

	private static IParser parser(FhirContext context, String format) {
		return format.equals("xml") ? context.newXmlParser() : context.newJsonParser();
	}

	private static RequestDetails request(FhirContext context, String body, String format) {
		RequestDetails request = mock(RequestDetails.class);
		RestfulServer server = new RestfulServer(context);
		when(request.getServer()).thenReturn(server);
		when(request.getHeaders("Content-Type"))
				.thenReturn(List.of(format.equals("xml") ? "application/fhir+xml" : "application/fhir+json"));
		when(request.loadRequestContents()).thenReturn(body.getBytes(StandardCharsets.UTF_8));
		return request;
	}
}
