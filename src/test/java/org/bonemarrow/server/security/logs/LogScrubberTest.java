package org.bonemarrow.server.security.logs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LogScrubberTest {

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = ';', value = {
		// HAPI's unmatched conditional reference, quoted
		"HAPI-1091: Invalid match URL \"Patient?identifier=mrn|MRN123&family=Smith\" - No resources match this search;"
				+ "HAPI-1091: Invalid match URL \"***\" - No resources match this search",
		// the same URL unquoted (Tomcat, Spring)
		"Invalid request target [/fhir/Patient?family=Smith&birthdate=1961-04-12];"
				+ "Invalid request target [/fhir/Patient?family=***&birthdate=***]",
		// single quotes (H2's SQL parameter values, HAPI's parser)
		"Value too long for column: 'Smith Jones' (42);Value too long for column: '***' (42)",
		// a lone surrogate and a control character are not echoed
		"Bad\u0007name \ud800 here;Bad?name ? here",
		// what carries no value stays as it was
		"HAPI-0389: Failed to call access method;HAPI-0389: Failed to call access method"
	})
	void blanksQuotedAndQueryValues_keepsTheShape(String logged, String expected) {
		assertThat(LogScrubber.scrub(logged)).isEqualTo(expected);
	}
}
