package org.bonemarrow.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.bonemarrow.server.adapter.NotificationProperties;
import org.bonemarrow.server.v2.V2Properties;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * Delivery settings as Spring binds them from application.yaml: the documented defaults, and a clear error at
 * start-up for a receiver that could never be delivered to or a setting that would be silently ignored.
 */
class DeliverySettingsTest {

	@Test
	void defaultsAreTheDocumentedOnes() {
		DeliveryProperties d = new Binder(new MapConfigurationPropertySource(Map.of()))
				.bindOrCreate("bonemarrow.delivery", DeliveryProperties.class);
		assertThat(d.restHooksThroughOutbox()).isTrue();
		assertThat(d.firstRetry()).isEqualTo(Duration.ofSeconds(10));
		assertThat(d.maxInterval()).isEqualTo(Duration.ofMinutes(5));
		assertThat(d.giveUpAfter()).isEqualTo(Duration.ofHours(72));
		assertThat(d.lease()).isEqualTo(Duration.ofMinutes(2));
	}

	@Test
	void aRestHookReceiverThatIsNotAnHttpUrlIsRefused() {
		assertThatThrownBy(() -> notifications("ftp://files.hospital.example/in"))
				.hasStackTraceContaining("receivers[ward-ehr].endpoint must be an http(s) URL");
		assertThatThrownBy(() -> notifications("http:///no-host")).hasStackTraceContaining("http(s) URL");
		assertThatThrownBy(() -> notifications("not a url")).hasStackTraceContaining("http(s) URL");
		assertThat(notifications("https://ehr.hospital.example/fhir").receivers()).hasSize(1);
	}

	@Test
	void theFormerPerReceiverV2RetriesAreRefused_notIgnored() {
		assertThatThrownBy(() -> v2(Map.of("bonemarrow.v2.receivers[0].retries", "3")))
				.hasStackTraceContaining("replaced by bonemarrow.delivery");
		assertThatThrownBy(() -> v2(Map.of("bonemarrow.v2.receivers[0].backoff-millis", "2000")))
				.hasStackTraceContaining("replaced by bonemarrow.delivery");
		assertThatThrownBy(() -> v2(Map.of("bonemarrow.v2.receivers[0].timeout-millis", "0")))
				.hasStackTraceContaining("timeout-millis");
		assertThat(v2(Map.of()).receivers().get(0).timeoutMillis()).isEqualTo(10_000);
	}

	private static NotificationProperties notifications(String endpoint) {
		return new Binder(new MapConfigurationPropertySource(Map.of(
				"bonemarrow.notifications.receivers[0].id", "ward-ehr",
				"bonemarrow.notifications.receivers[0].endpoint", endpoint)))
				.bindOrCreate("bonemarrow.notifications", NotificationProperties.class);
	}

	private static V2Properties v2(Map<String, String> extra) {
		Map<String, String> all = new java.util.HashMap<>(Map.of(
				"bonemarrow.v2.receivers[0].id", "ward-lis",
				"bonemarrow.v2.receivers[0].host", "lis.hospital.example",
				"bonemarrow.v2.receivers[0].port", "2575"));
		all.putAll(extra);
		return new Binder(new MapConfigurationPropertySource(all)).bindOrCreate("bonemarrow.v2", V2Properties.class);
	}
}
