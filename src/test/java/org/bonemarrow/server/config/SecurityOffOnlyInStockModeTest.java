package org.bonemarrow.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.security.servlet.SecurityAutoConfiguration;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/** Secure by default, not by configuration: switching security off alone does not start a server. */
class SecurityOffOnlyInStockModeTest {

	private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(SecurityAutoConfiguration.class))
			.withUserConfiguration(ApiSecurityConfig.class);

	@Test
	void securityOffWithoutStockModeRefusesToStart() {
		runner.withPropertyValues("bonemarrow.security.enabled=false").run(context -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).hasRootCauseMessage(
					"bonemarrow.security.enabled=false is only allowed together with bonemarrow.stock-mode=true (the benchmark's stock comparison)");
		});
	}

	@Test
	void securityOffInStockModeStarts() {
		runner.withPropertyValues("bonemarrow.security.enabled=false", "bonemarrow.stock-mode=true")
				.run(context -> assertThat(context).hasNotFailed());
	}
}
