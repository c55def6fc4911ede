package org.bonemarrow.server;

import org.bonemarrow.server.profiles.CoreDefinitionsPrewarm;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.elasticsearch.ElasticsearchRestClientAutoConfiguration;
import org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration;
import org.springframework.boot.autoconfigure.security.servlet.UserDetailsServiceAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * Bone marrow exam FHIR server: HAPI FHIR JPA (R4) on Spring Boot.
 *
 * <p>Flyway and the Elasticsearch client arrive transitively with HAPI; neither is used by Spring here
 * (HAPI migrates its own schema), and their auto-configuration only adds start-up noise. Thymeleaf renders
 * the console's pages. Spring
 * Security's default in-memory user is excluded: callers authenticate with bearer tokens only.
 */
@SpringBootApplication(exclude = {
	ElasticsearchRestClientAutoConfiguration.class,
	FlywayAutoConfiguration.class,
	UserDetailsServiceAutoConfiguration.class
})
@ConfigurationPropertiesScan
public class BoneMarrowServerApplication {

	public static void main(String[] args) {
		SpringApplication app = new SpringApplication(BoneMarrowServerApplication.class);
		// On the second core while Spring builds the context on this one (issue 17, start-up); once logging is
		// set up, so HAPI's log lines from that thread follow the configured format.
		app.addListeners((ApplicationListener<ApplicationEnvironmentPreparedEvent>) event -> CoreDefinitionsPrewarm.start());
		app.run(args);
	}
}
