package org.bonemarrow.server;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.elasticsearch.ElasticsearchRestClientAutoConfiguration;
import org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration;
import org.springframework.boot.autoconfigure.security.servlet.UserDetailsServiceAutoConfiguration;
import org.springframework.boot.autoconfigure.thymeleaf.ThymeleafAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * Bone marrow exam FHIR server: HAPI FHIR JPA (R4) on Spring Boot.
 *
 * <p>Thymeleaf, Flyway and the Elasticsearch client arrive transitively with HAPI; none is used by Spring
 * here (HAPI migrates its own schema), and their auto-configuration only adds start-up noise. Spring
 * Security's default in-memory user is excluded: callers authenticate with bearer tokens only.
 */
@SpringBootApplication(exclude = {
	ThymeleafAutoConfiguration.class,
	ElasticsearchRestClientAutoConfiguration.class,
	FlywayAutoConfiguration.class,
	UserDetailsServiceAutoConfiguration.class
})
@ConfigurationPropertiesScan
public class BoneMarrowServerApplication {

	public static void main(String[] args) {
		SpringApplication.run(BoneMarrowServerApplication.class, args);
	}
}
