package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
		assertThat(RequestBodyInspector.body(bytes(xxe), "application/fhir+xml", 64))
				.hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(400));
		assertThat(RequestBodyInspector.body(bytes("<Patient xmlns=\"http://hl7.org/fhir\"/>"), "application/fhir+xml", 64))
				.isEmpty();
	}

	@Test
	void jsonDepthIgnoresBracketsInStrings() {
		assertThat(RequestBodyInspector.jsonDepth(bytes("{\"a\":[{\"b\":\"[[[[{{{{\\\"\"}]}"))).isEqualTo(3);
		String deep = "[".repeat(100) + "]".repeat(100);
		assertThat(RequestBodyInspector.body(bytes(deep), "application/json", 64))
				.hasValueSatisfying(r -> assertThat(r.message()).contains("100 levels"));
		assertThat(RequestBodyInspector.body(bytes("[".repeat(64) + "]".repeat(64)), "application/json", 64)).isEmpty();
	}

	private static byte[] bytes(String s) {
		return s.getBytes(StandardCharsets.UTF_8);
	}
}
