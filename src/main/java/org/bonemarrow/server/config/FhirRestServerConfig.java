package org.bonemarrow.server.config;

import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.provider.IJpaSystemProvider;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.rest.openapi.OpenApiInterceptor;
import ca.uhn.fhir.rest.server.HardcodedServerAddressStrategy;
import ca.uhn.fhir.rest.server.IncomingRequestAddressStrategy;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.ResponseHighlighterInterceptor;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import ca.uhn.fhir.rest.api.EncodingEnum;
import java.util.List;
import java.util.Optional;
import org.bonemarrow.server.fhir.FhirServerCustomizer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.info.BuildProperties;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The FHIR REST endpoint at {@code /fhir}: HAPI's RestfulServer over the JPA resource providers.
 * Interceptors and operations of our own are Spring beans implementing {@link FhirServerCustomizer}
 * so that each stays in its own class and this wiring does not grow with them.
 */
@Configuration
public class FhirRestServerConfig {

	@Bean
	public RestfulServer restfulServer(
			IFhirSystemDao<?, ?> systemDao,
			ResourceProviderFactory resourceProviders,
			IJpaSystemProvider systemProvider,
			JpaStorageSettings storageSettings,
			ISearchParamRegistry searchParamRegistry,
			IValidationSupport validationSupport,
			DatabaseBackedPagingProvider pagingProvider,
			FhirServerProperties properties,
			Optional<BuildProperties> build,
			ObjectProvider<FhirServerCustomizer> customizers) {
		RestfulServer server = new RestfulServer(systemDao.getContext());
		server.registerProviders(resourceProviders.createProviders());
		server.registerProvider(systemProvider);

		String version = build.map(BuildProperties::getVersion).orElse("development");
		server.setServerName(properties.serverName());
		server.setServerVersion(version);
		JpaCapabilityStatementProvider capabilities = new JpaCapabilityStatementProvider(
				server, systemDao, storageSettings, searchParamRegistry, validationSupport);
		capabilities.setImplementationDescription(properties.serverName() + " " + version);
		server.setServerConformanceProvider(capabilities);

		pagingProvider.setDefaultPageSize(properties.defaultPageSize());
		pagingProvider.setMaximumPageSize(properties.maxPageSize());
		server.setPagingProvider(pagingProvider);
		server.setDefaultResponseEncoding(EncodingEnum.JSON);
		server.setServerAddressStrategy(properties.serverAddress().isBlank()
				? new IncomingRequestAddressStrategy()
				: new HardcodedServerAddressStrategy(properties.serverAddress()));

		// Browsers get HTML-highlighted responses; FHIR clients are unaffected.
		server.registerInterceptor(new ResponseHighlighterInterceptor());
		if (properties.openapiEnabled()) {
			server.registerInterceptor(new OpenApiInterceptor());
		}
		customizers.orderedStream().forEach(c -> c.customize(server));
		return server;
	}

	@Bean
	public ServletRegistrationBean<RestfulServer> fhirServlet(RestfulServer server) {
		ServletRegistrationBean<RestfulServer> registration = new ServletRegistrationBean<>(server, "/fhir/*");
		registration.setName("fhir");
		registration.setLoadOnStartup(1);
		return registration;
	}
}
