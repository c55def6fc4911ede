package org.bonemarrow.server.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SubscriptionChannelPolicyTest {

	private final SubscriptionChannelPolicy defaults = new SubscriptionChannelPolicy(List.of("https", "http"), List.of(), false);

	@ParameterizedTest
	@ValueSource(strings = {"http://127.0.0.1:8080/fhir", "http://localhost/fhir", "http://[::1]/x", "http://0.0.0.0/",
			"http://169.254.169.254/latest/meta-data/", "https://app.localhost/"})
	void thisHostAndLinkLocalAddressesAreRefusedByDefault(String endpoint) {
		assertThat(defaults.endpointRefusal(endpoint)).get().asString().contains("allow-loopback");
	}

	@Test
	void loopbackIsAllowedWhenConfigured() {
		SubscriptionChannelPolicy local = new SubscriptionChannelPolicy(List.of("http"), List.of(), true);
		assertThat(local.endpointRefusal("http://127.0.0.1:9999/ehr/fhir")).isEmpty();
	}

	@Test
	void aHostAllowListAdmitsOnlyItsHosts() {
		SubscriptionChannelPolicy listed = new SubscriptionChannelPolicy(List.of("https"), List.of("ehr.hospital.example",
				"*.lab.hospital.example"), false);
		assertThat(listed.endpointRefusal("https://ehr.hospital.example/fhir")).isEmpty();
		assertThat(listed.endpointRefusal("https://lis.lab.hospital.example/fhir")).isEmpty();
		assertThat(listed.endpointRefusal("https://elsewhere.example/fhir")).get().asString().contains("not among the allowed");
		assertThat(listed.endpointRefusal("http://ehr.hospital.example/fhir")).get().asString().contains("scheme 'http'");
	}

	@Test
	void headersMaskToTheirName() {
		assertThat(SubscriptionChannelPolicy.mask("Authorization: Bearer abc")).isEqualTo("Authorization: ***");
		assertThat(SubscriptionChannelPolicy.isMasked("Authorization: ***")).isTrue();
		assertThat(SubscriptionChannelPolicy.isMasked("Authorization: Bearer abc")).isFalse();
		assertThat(SubscriptionChannelPolicy.name("X-Api-Key: k")).isEqualTo("x-api-key");
		assertThat(defaults.headerRefusal("X-Api-Key: k")).isEmpty();
		assertThat(defaults.headerRefusal("Transfer-Encoding: chunked")).isPresent();
	}
}
