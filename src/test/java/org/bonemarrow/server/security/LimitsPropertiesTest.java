package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * {@code bonemarrow.security.limits}: max-depth, and the former name max-json-depth, still honoured; a
 * client's own request-size and bundle-entry limits, each falling back to the general one.
 */
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

	@Test
	void aClientWithoutLimitsOfItsOwnGetsTheGeneralOnesNamedAsSuch() {
		SecurityProperties.Limits limits = bind(Map.of("bonemarrow.security.limits.clients.loader.max-bundle-entries", "10000"));
		assertThat(limits.bundleEntriesFor("ehr"))
				.isEqualTo(new SecurityProperties.Applied<>(1000, "bonemarrow.security.limits.max-bundle-entries"));
		assertThat(limits.bundleEntriesFor(null).value()).isEqualTo(1000);
		assertThat(limits.requestSizeFor("ehr").setting()).isEqualTo("bonemarrow.security.limits.max-request-size");
		assertThat(limits.requestSizeFor("ehr").value().toMegabytes()).isEqualTo(5);
	}

	@Test
	void aClientsOwnLimitsApplyToItAlone_andAnUnsetOneFallsBack() {
		SecurityProperties.Limits limits = bind(Map.of(
				"bonemarrow.security.limits.max-bundle-entries", "500",
				"bonemarrow.security.limits.clients.loader.max-bundle-entries", "10000"));
		assertThat(limits.bundleEntriesFor("loader")).isEqualTo(new SecurityProperties.Applied<>(10000,
				"bonemarrow.security.limits.clients.loader.max-bundle-entries"));
		assertThat(limits.bundleEntriesFor("lab").value()).isEqualTo(500);
		// No request size of its own: the general one, and the refusal names the general setting.
		assertThat(limits.requestSizeFor("loader").value().toMegabytes()).isEqualTo(5);
		assertThat(limits.requestSizeFor("loader").setting()).isEqualTo("bonemarrow.security.limits.max-request-size");

		SecurityProperties.Limits sized = bind(Map.of("bonemarrow.security.limits.clients.loader.max-request-size", "32MB"));
		assertThat(sized.requestSizeFor("loader").value().toMegabytes()).isEqualTo(32);
		assertThat(sized.requestSizeFor("loader").setting())
				.isEqualTo("bonemarrow.security.limits.clients.loader.max-request-size");
		assertThat(sized.bundleEntriesFor("loader").value()).isEqualTo(1000);
	}

	@Test
	void aClientLimitBelowOneIsRefusedAtStartUp() {
		assertThatThrownBy(() -> bind(Map.of("bonemarrow.security.limits.clients.loader.max-bundle-entries", "0")))
				.hasRootCauseMessage("bonemarrow.security.limits.clients.*.max-bundle-entries must be at least 1");
	}

	private static SecurityProperties.Limits bind(Map<String, String> properties) {
		java.util.Map<String, String> all = new java.util.HashMap<>(properties);
		all.put("bonemarrow.security.enabled", "true");
		return new Binder(new MapConfigurationPropertySource(all))
				.bindOrCreate("bonemarrow.security", SecurityProperties.class).limits();
	}
}
