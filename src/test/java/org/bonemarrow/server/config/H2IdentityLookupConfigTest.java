package org.bonemarrow.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.jpa.api.svc.IIdHelperService;
import ca.uhn.fhir.jpa.dao.index.IdHelperService;
import java.util.function.Supplier;
import org.bonemarrow.server.config.H2IdentityLookupConfig.OneIdPerLookupIdHelperService;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;

/**
 * Which databases get the one-id-per-lookup service. The bean is lazy here because HAPI's service needs the
 * whole JPA context to be created; what is checked is the instance its definition will make.
 */
class H2IdentityLookupConfigTest {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
			.withUserConfiguration(HapisDefinition.class, H2IdentityLookupConfig.class);

	@Test
	void onH2HapisBeanMakesOurService() {
		runner.withPropertyValues("spring.datasource.url=jdbc:h2:async:./data/h2/fhir;WRITE_DELAY=0")
				.run(context -> assertThat(instanceMadeBy(context)).isInstanceOf(OneIdPerLookupIdHelperService.class));
	}

	@Test
	void onPostgresHapisBeanIsLeftAlone() {
		runner.withPropertyValues("spring.datasource.url=jdbc:postgresql://localhost:5432/bonemarrow")
				.run(context -> assertThat(supplierOf(context)).isNull());
	}

	@Test
	void switchedOffOnH2HapisBeanIsLeftAlone() {
		runner.withPropertyValues("spring.datasource.url=jdbc:h2:./data/h2/fhir", "bonemarrow.h2-indexed-id-lookups=false")
				.run(context -> assertThat(supplierOf(context)).isNull());
	}

	private static Object instanceMadeBy(AssertableApplicationContext context) {
		Supplier<?> supplier = supplierOf(context);
		assertThat(supplier).as("instance supplier on HAPI's bean definition").isNotNull();
		return supplier.get();
	}

	private static Supplier<?> supplierOf(AssertableApplicationContext context) {
		assertThat(context).hasNotFailed();
		return ((AbstractBeanDefinition) context.getBeanFactory()
				.getBeanDefinition(H2IdentityLookupConfig.HAPI_BEAN_NAME)).getInstanceSupplier();
	}

	/** Stands in for HAPI's JpaConfig#idHelperService(): same name, same raw return type. */
	@Configuration
	static class HapisDefinition {
		@Bean
		@Lazy
		@SuppressWarnings("rawtypes")
		IIdHelperService idHelperService() {
			return new IdHelperService();
		}
	}
}
