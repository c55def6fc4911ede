package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** {@code bonemarrow.security.limits}: max-depth, and the former name max-json-depth, still honoured. */
class LimitsPropertiesTest {

	@Test
	void defaults() {
		SecurityProperties.Limits limits = bind(Map.of());
		assertThat(limits.maxDepth()).isEqualTo(64);
		assertThat(limits.maxUrlLength()).isEqualTo(8192);
		assertThat(limits.maxRequestSize().toMegabytes()).isEqualTo(5);
	}

	@Test
	void theFormerNameMaxJsonDepthIsStillRead() {
		assertThat(bind(Map.of("bonemarrow.security.limits.max-json-depth", "32")).maxDepth()).isEqualTo(32);
	}

	@Test
	void maxDepthWinsOverTheFormerName() {
		assertThat(bind(Map.of("bonemarrow.security.limits.max-depth", "100",
				"bonemarrow.security.limits.max-json-depth", "32")).maxDepth()).isEqualTo(100);
	}

	private static SecurityProperties.Limits bind(Map<String, String> properties) {
		java.util.Map<String, String> all = new java.util.HashMap<>(properties);
		all.put("bonemarrow.security.enabled", "true");
		return new Binder(new MapConfigurationPropertySource(all))
				.bindOrCreate("bonemarrow.security", SecurityProperties.class).limits();
	}
}
