package org.bonemarrow.server.config;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Terminology operations answered offline (package {@code terminology}): HAPI's terminology service expands
 * ValueSets from the stored CodeSystems without Hibernate Search, provided it is not told that Hibernate
 * Search is there.
 */
@Configuration
public class TerminologyConfig {

	/** The bean HAPI's HapiJpaConfig defines for full-text search (Hibernate Search). */
	static final String FULL_TEXT_SEARCH_SERVICE = "fullTextSearchSvc";

	/**
	 * Hibernate Search is off ({@code spring.jpa.properties.hibernate.search.enabled: false}), yet HapiJpaConfig
	 * still defines its full-text search service, and HAPI's terminology service takes the service's mere
	 * presence for "Hibernate Search is on": {@code $expand} of a ValueSet that includes codes of one of our
	 * stored CodeSystems (bme-exam-codes, bme-indications, ...) failed with HSEARCH800001 (500). Every HAPI
	 * component that uses the service accepts its absence (it is injected as optional; HAPI's own
	 * "Lucene disabled" configuration leaves it out), and then expands from the database tables instead.
	 */
	@Bean
	@ConditionalOnProperty(name = "spring.jpa.properties.hibernate.search.enabled", havingValue = "false")
	static BeanDefinitionRegistryPostProcessor noFullTextSearchServiceWithoutHibernateSearch() {
		return new BeanDefinitionRegistryPostProcessor() {
			@Override
			public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
				if (registry.containsBeanDefinition(FULL_TEXT_SEARCH_SERVICE)) {
					registry.removeBeanDefinition(FULL_TEXT_SEARCH_SERVICE);
				}
			}

			@Override
			public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
				// nothing: the definition is gone before any bean is made
			}
		};
	}
}
