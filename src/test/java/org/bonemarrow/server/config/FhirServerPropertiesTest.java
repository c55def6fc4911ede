package org.bonemarrow.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.bonemarrow.server.fhir.ParsingMode;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** {@code bonemarrow.fhir.parsing}: strict unless a site sets lenient, in the spelling application.yaml shows. */
class FhirServerPropertiesTest {

	@Test
	void parsingIsStrictByDefault() {
		assertThat(bind(Map.of()).parsing()).isEqualTo(ParsingMode.STRICT);
	}

	@Test
	void lenientAsWrittenInApplicationYaml() {
		assertThat(bind(Map.of("bonemarrow.fhir.parsing", "lenient")).parsing()).isEqualTo(ParsingMode.LENIENT);
		assertThat(bind(Map.of("bonemarrow.fhir.parsing", "strict")).parsing()).isEqualTo(ParsingMode.STRICT);
	}

	private static FhirServerProperties bind(Map<String, String> properties) {
		return new Binder(new MapConfigurationPropertySource(properties))
				.bindOrCreate("bonemarrow.fhir", FhirServerProperties.class);
	}
}
