package org.bonemarrow.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/** The benchmark's stock-mode switch turns every one of ours off, and is inert when not set. */
class StockModeEnvironmentTest {

	@Test
	void stockModeOverridesOurSwitchesEvenWhenTheyAreSetOn() {
		StandardEnvironment env = environment(Map.of(
				"bonemarrow.stock-mode", "true",
				"bonemarrow.validation.enabled", "true",
				"bonemarrow.adapter.enabled", "true",
				"bonemarrow.fhir.search-cache-reuse-millis", "0",
				"bonemarrow.security.enabled", "true",
				"bonemarrow.notifications.skip-unsubscribed-types", "true",
				"bonemarrow.h2-indexed-id-lookups", "true",
				"bonemarrow.fhir.parsing", "strict"));
		new StockModeEnvironment().postProcessEnvironment(env, new SpringApplication());
		assertThat(env.getProperty("bonemarrow.validation.enabled")).isEqualTo("false");
		assertThat(env.getProperty("bonemarrow.adapter.enabled")).isEqualTo("false");
		assertThat(env.getProperty("bonemarrow.fhir.search-cache-reuse-millis")).isEqualTo("60000");
		assertThat(env.getProperty("bonemarrow.security.enabled")).isEqualTo("false");
		assertThat(env.getProperty("bonemarrow.notifications.skip-unsubscribed-types")).isEqualTo("false");
		assertThat(env.getProperty("bonemarrow.h2-indexed-id-lookups")).isEqualTo("false");
		assertThat(env.getProperty("bonemarrow.fhir.parsing")).isEqualTo("lenient");
	}

	@Test
	void withoutTheSwitchNothingChanges() {
		StandardEnvironment env = environment(Map.of("bonemarrow.validation.enabled", "true"));
		new StockModeEnvironment().postProcessEnvironment(env, new SpringApplication());
		assertThat(env.getProperty("bonemarrow.validation.enabled")).isEqualTo("true");
		assertThat(env.getProperty("bonemarrow.adapter.enabled")).isNull();
		assertThat(env.getProperty("bonemarrow.security.enabled")).isNull();
	}

	private static StandardEnvironment environment(Map<String, Object> properties) {
		StandardEnvironment env = new StandardEnvironment();
		env.getPropertySources().addLast(new MapPropertySource("test", properties));
		return env;
	}
}
