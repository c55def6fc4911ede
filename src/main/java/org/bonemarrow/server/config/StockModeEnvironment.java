package org.bonemarrow.server.config;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * {@code bonemarrow.stock-mode=true}: everything of ours that changes how writes and searches behave is
 * off, so the same jar stands in for a stock HAPI FHIR JPA server in the benchmark's side-by-side run
 * (issue 6). One switch rather than three, so a comparison cannot forget one of them:
 * <ul>
 *   <li>profile validation off ({@code bonemarrow.validation.enabled=false});</li>
 *   <li>workflow adapter rules off ({@code bonemarrow.adapter.enabled=false});</li>
 *   <li>HAPI's default 60 s reuse of identical search results
 *       ({@code bonemarrow.fhir.search-cache-reuse-millis=60000});</li>
 *   <li>no authentication, authorization or audit trail ({@code bonemarrow.security.enabled=false}), as a
 *       stock HAPI server has none;</li>
 *   <li>HAPI queues every stored resource for subscription matching, as it does by default
 *       ({@code bonemarrow.notifications.skip-unsubscribed-types=false});</li>
 *   <li>HAPI's one-query lookup of several resource ids, which H2 answers with a table scan
 *       ({@code bonemarrow.h2-indexed-id-lookups=false});</li>
 *   <li>HAPI's lenient parsing of request bodies, dropping content R4 does not define
 *       ({@code bonemarrow.fhir.parsing=lenient}).</li>
 * </ul>
 * The profile package is still loaded (its {@code Specimen?request=} search parameter is needed by the
 * same searches), and the read-only {@code $exam-summary} operation stays. Not for production.
 */
public class StockModeEnvironment implements EnvironmentPostProcessor {

	static final String SWITCH = "bonemarrow.stock-mode";

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		if (!environment.getProperty(SWITCH, Boolean.class, false)) {
			return;
		}
		// First in line: stock mode wins over application.yaml and over the individual switches.
		environment.getPropertySources().addFirst(new MapPropertySource("bonemarrowStockMode", Map.of(
				"bonemarrow.validation.enabled", "false",
				"bonemarrow.adapter.enabled", "false",
				"bonemarrow.fhir.search-cache-reuse-millis", "60000",
				"bonemarrow.security.enabled", "false",
				"bonemarrow.notifications.skip-unsubscribed-types", "false",
				"bonemarrow.delivery.rest-hook", "hapi",
				"bonemarrow.h2-indexed-id-lookups", "false",
				"bonemarrow.fhir.parsing", "lenient")));
	}
}
