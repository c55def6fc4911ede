package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class RequestBodyInspectorTest {

	@ParameterizedTest(name = "{0} on v2={1} -> refused={2}")
	@CsvSource({
		"application/fhir+json; charset=UTF-8, false, false",
		"application/json,                     false, false",
		"application/fhir+xml,                 false, false",
		"application/x-www-form-urlencoded,    false, false",
		"text/plain,                           false, true",
		"application/octet-stream,             false, true",
		"'',                                   false, true",
		"x-application/hl7-v2+er7,             true,  false",
		"application/fhir+json,                true,  true",
	})
	void contentTypes(String contentType, boolean v2, boolean refused) {
		var refusal = RequestBodyInspector.contentType(contentType, v2);
		assertThat(refusal.isPresent()).isEqualTo(refused);
		refusal.ifPresent(r -> assertThat(r.status()).isEqualTo(415));
	}

	@Test
	void xmlWithDoctypeIsRefused() {
		String xxe = "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
				+ "<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"&x;\"/></name></Patient>";
		assertThat(xml(xxe)).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(400));
		assertThat(xml("<Patient xmlns=\"http://hl7.org/fhir\"/>")).isEmpty();
	}

	@Test
	void jsonDepthIgnoresBracketsInStrings() {
		assertThat(RequestBodyInspector.body(bytes("{\"a\":[{\"b\":\"[[[[{{{{\\\"\"}]}"), "application/json", 3)).isEmpty();
		assertThat(RequestBodyInspector.body(bytes("{\"a\":[{\"b\":\"x\"}]}"), "application/json", 2))
				.hasValueSatisfying(r -> assertThat(r.message()).contains("JSON nested more than 2 levels", "max-depth"));
		String deep = "[".repeat(100) + "]".repeat(100);
		assertThat(json(deep)).hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(400));
		assertThat(json("[".repeat(64) + "]".repeat(64))).isEmpty();
	}

	@Test
	void xmlDepthIsCountedPerElement_streaming() {
		String deep = "<Patient xmlns=\"http://hl7.org/fhir\">" + "<extension url=\"x\">".repeat(100)
				+ "</extension>".repeat(100) + "</Patient>";
		assertThat(xml(deep)).hasValueSatisfying(r -> {
			assertThat(r.status()).isEqualTo(400);
			assertThat(r.message()).contains("XML nested more than 64 levels", "max-depth");
		});
		String fine = "<Patient xmlns=\"http://hl7.org/fhir\">" + "<extension url=\"x\">".repeat(63)
				+ "</extension>".repeat(63) + "</Patient>";
		assertThat(xml(fine)).isEmpty();
		// Nested deep but broken further on: the depth is still refused by what was read before the break.
		assertThat(xml("<a>".repeat(70) + "<<<")).hasValueSatisfying(r -> assertThat(r.message()).contains("nested"));
	}

	@ParameterizedTest
	@ValueSource(strings = {
		"{\"name\":[{\"family\":\"A\\u0000B\"}]}",
		"{\"name\":[{\"family\":\"A\u0000B\"}]}",
		"{\"name\":[{\"family\":\"AB\"}]}\u0000"
	})
	void nulInJsonIsRefused(String body) {
		assertThat(json(body)).hasValueSatisfying(r -> assertThat(r.message()).contains("NUL"));
	}

	@Test
	void anEscapedBackslashBeforeU0000IsNotANul() {
		assertThat(json("{\"text\":\"C:\\\\u0000\"}")).isEmpty();
	}

	@ParameterizedTest
	@ValueSource(strings = {"&#0;", "&#x0;", "&#X00;", "&#000;", "\u0000"})
	void nulInXmlIsRefused(String nul) {
		assertThat(xml("<Patient xmlns=\"http://hl7.org/fhir\"><name><family value=\"A" + nul + "B\"/></name></Patient>"))
				.hasValueSatisfying(r -> assertThat(r.message()).contains("NUL"));
	}

	@Test
	void nulInAnEr7MessageIsRefused() {
		assertThat(RequestBodyInspector.body(bytes("MSH|^~\\&|A\u0000|"), "x-application/hl7-v2+er7", 64))
				.hasValueSatisfying(r -> assertThat(r.message()).contains("NUL"));
	}

	@ParameterizedTest
	@MethodSource("outOfRangeNumbers")
	void outOfRangeJsonNumbersAreRefused(String number) {
		String body = "{\"resourceType\":\"Observation\",\"valueQuantity\":{\"value\":" + number + "}}";
		assertThat(json(body)).hasValueSatisfying(r -> {
			assertThat(r.status()).isEqualTo(400);
			assertThat(r.message()).contains("limit is 1000");
		});
		// The same number given as a string, which a lenient parser would read as the decimal.
		assertThat(json(body.replace(number, "\"" + number + "\""))).isPresent();
	}

	static java.util.stream.Stream<String> outOfRangeNumbers() {
		return java.util.stream.Stream.of("1e999999999", "1E1001", "-2.5e+99999999999999999999", "1e-999999999",
				"1." + "0".repeat(999) + "1");
	}

	@ParameterizedTest
	@ValueSource(strings = {"1e1000", "-1e-1000", "3.14", "0.000000000000000000000000000000000000000000000000000001",
		"123456789012345678", "1e5", "0",
		// the official R4 example Observation-decimal: 246 significant digits
		"3.141592653589793238462643383279502884197169399375105820974944592307816406286208998628034825342117"
				+ "0679821480865132823066470938446095505822317253594081284811174502841027019385211055596446229489549303819644288109756659334461284756482337867831652712019091456485"})
	void inRangeNumbersPass(String number) {
		assertThat(json("{\"resourceType\":\"Observation\",\"valueQuantity\":{\"value\":" + number + "}}")).isEmpty();
	}

	@Test
	void stringsThatAreNotNumbersAreNotJudgedAsNumbers() {
		// A 60-digit identifier is digits, not a decimal; dates, versions and text pass as they are.
		assertThat(json("{\"identifier\":[{\"value\":\"" + "1".repeat(60) + "\"}],\"a\":\"1.2.840.10008\","
				+ "\"b\":\"2024-01-01\",\"c\":\"1e999999999 apples\"}")).isEmpty();
		assertThat(json("{\"identifier\":[{\"value\":\"" + "1".repeat(1001) + "\"}]}")).isPresent();
	}

	@Test
	void xmlNumbersAreCheckedInAttributes() {
		assertThat(xml("<Observation xmlns=\"http://hl7.org/fhir\"><valueQuantity><value value=\"1e999999999\"/>"
				+ "</valueQuantity></Observation>"))
				.hasValueSatisfying(r -> assertThat(r.message()).contains("exponent of 999999999", "limit is 1000"));
		assertThat(xml("<Observation xmlns=\"http://hl7.org/fhir\"><valueQuantity><value value=\"3.5\"/>"
				+ "</valueQuantity></Observation>")).isEmpty();
	}

	@Test
	void er7NumbersAreChecked() {
		assertThat(RequestBodyInspector.body(bytes("MSH|^~\\&|LAB\rOBX|1|NM|x^y||1e999999999|"), "x-application/hl7-v2+er7", 64))
				.isPresent();
		assertThat(RequestBodyInspector.body(bytes("MSH|^~\\&|LAB\rOBX|1|NM|x^y||3.2|"), "x-application/hl7-v2+er7", 64))
				.isEmpty();
	}

	@ParameterizedTest
	@ValueSource(strings = {"1e60000000", "gt1e9999", "le-1e1001", "1e60000000|http://unitsofmeasure.org|%",
		"5,ap1e99999", "http://loinc.org|1234-5$1e999999"})
	void outOfRangeSearchValuesAreRefused(String value) {
		Optional<RequestBodyInspector.Refusal> refusal = RequestBodyInspector.parameters(
				Map.of("value-quantity", new String[] {value}));
		assertThat(refusal).hasValueSatisfying(r -> {
			assertThat(r.status()).isEqualTo(400);
			assertThat(r.message()).contains("'value-quantity'", "limit is 1000");
		});
	}

	@ParameterizedTest
	@ValueSource(strings = {"5.4|http://unitsofmeasure.org|mg", "gt2020-01-01", "ge1e10", "x' OR '1'='1", "Smith",
		"12345678901234567890123456789012345678901234567890123456789"})
	void ordinarySearchValuesPass(String value) {
		assertThat(RequestBodyInspector.parameters(Map.of("p", new String[] {value}))).isEmpty();
	}

	@Test
	void nulInSearchValuesIsRefused() {
		assertThat(RequestBodyInspector.parameters(Map.of("family", new String[] {"A\u0000"})))
				.hasValueSatisfying(r -> assertThat(r.message()).contains("NUL"));
	}

	private static Optional<RequestBodyInspector.Refusal> json(String body) {
		return RequestBodyInspector.body(bytes(body), "application/fhir+json", 64);
	}

	private static Optional<RequestBodyInspector.Refusal> xml(String body) {
		return RequestBodyInspector.body(bytes(body), "application/fhir+xml", 64);
	}

	private static byte[] bytes(String s) {
		return s.getBytes(StandardCharsets.UTF_8);
	}
}
