package org.bonemarrow.server.config;

import ca.uhn.fhir.interceptor.api.IInterceptorService;
import org.bonemarrow.server.adapter.NotificationProperties;
import org.bonemarrow.server.fhir.DeliveryFailureLog;
import org.bonemarrow.server.fhir.FhirServerCustomizer;
import org.bonemarrow.server.fhir.SubscriptionChannelPolicy;
import org.bonemarrow.server.fhir.SubscriptionChannelRules;
import org.bonemarrow.server.fhir.SubscriptionSecretsMasking;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Subscriptions as secrets-bearing standing instructions: where they may deliver (checked on every
 * write, on HAPI's JPA interceptor service) and their headers masked in every response (on the REST
 * server). On in every mode, stock mode included: it is safety, not a feature.
 */
@Configuration
public class SubscriptionSecurityConfig {

	@Bean
	SubscriptionChannelRules subscriptionChannelRules(NotificationProperties properties, IInterceptorService jpaInterceptors) {
		NotificationProperties.Endpoints endpoints = properties.endpoints();
		SubscriptionChannelRules rules = new SubscriptionChannelRules(
				new SubscriptionChannelPolicy(endpoints.schemes(), endpoints.hosts(), endpoints.allowLoopback()));
		jpaInterceptors.registerInterceptor(rules);
		return rules;
	}

	/**
	 * Only when HAPI delivers rest-hooks itself (stock mode); the outbox logs its own attempts. Subscription
	 * delivery hooks are called on HAPI's JPA interceptor service.
	 */
	@Bean
	@ConditionalOnProperty(name = "bonemarrow.delivery.rest-hook", havingValue = "hapi")
	DeliveryFailureLog deliveryFailureLog(IInterceptorService jpaInterceptors) {
		DeliveryFailureLog interceptor = new DeliveryFailureLog();
		jpaInterceptors.registerInterceptor(interceptor);
		return interceptor;
	}

	@Bean
	FhirServerCustomizer subscriptionSecretsMasking() {
		return server -> server.registerInterceptor(new SubscriptionSecretsMasking());
	}
}
