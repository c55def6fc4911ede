package org.bonemarrow.server.config;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.jpa.subscription.match.config.SubscriptionProcessorConfig;
import ca.uhn.fhir.jpa.subscription.match.deliver.email.IEmailSender;
import ca.uhn.fhir.jpa.subscription.match.registry.SubscriptionRegistry;
import ca.uhn.fhir.jpa.subscription.submit.config.SubscriptionSubmitterConfig;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.TokenOrListParam;
import org.bonemarrow.server.fhir.UnsubscribedChangesSkipMatching;
import org.hl7.fhir.dstu2.model.Subscription;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * HAPI FHIR Subscriptions: how results flow out to the systems that ordered them. The submitter matches
 * every stored resource against the active Subscriptions (in memory, after commit); the processor
 * delivers the matches over rest-hook. Both run inside this server (the channel itself,
 * SubscriptionChannelConfig, is imported by {@link HapiJpaServerConfig}). Configured receivers are
 * registered by {@code org.bonemarrow.server.adapter.ResultNotificationReceivers}.
 */
@Configuration
@Import({SubscriptionSubmitterConfig.class, SubscriptionProcessorConfig.class})
public class SubscriptionConfig {

	@Bean
	public SubscriptionSettings subscriptionSettings() {
		SubscriptionSettings settings = new SubscriptionSettings();
		// Rest-hook only: no e-mail or websocket channel is set up, so none may be requested.
		settings.addSupportedSubscriptionType(Subscription.SubscriptionChannelType.RESTHOOK);
		// Criteria of our receivers (DiagnosticReport?based-on=..., ?status=...) are all matchable in memory,
		// which avoids a database search per stored resource.
		settings.setEnableInMemorySubscriptionMatching(true);
		return settings;
	}

	/**
	 * HAPI's delivery factory needs an e-mail sender even when only rest-hook is enabled. E-mail
	 * subscriptions are refused at creation (not a supported type), so this is never called.
	 */
	@Bean
	public IEmailSender emailSender() {
		return details -> {
			throw new UnsupportedOperationException("E-mail subscriptions are not supported by this server");
		};
	}

	/**
	 * On HAPI's JPA interceptor service, where the subscription submitter asks before it queues a change.
	 * Only when HAPI delivers rest-hooks itself: with the outbox (default) HAPI's queue carries Subscriptions
	 * only ({@code delivery.HapiDeliveryHandedOver}). Stock mode keeps HAPI's queue-everything default.
	 */
	@Bean
	@ConditionalOnExpression("'${bonemarrow.notifications.skip-unsubscribed-types:true}' == 'true'"
			+ " and '${bonemarrow.delivery.rest-hook:outbox}' == 'hapi'")
	public UnsubscribedChangesSkipMatching unsubscribedChangesSkipMatching(FhirContext fhirContext,
			SubscriptionRegistry registry, IInterceptorService jpaInterceptors) {
		UnsubscribedChangesSkipMatching interceptor = new UnsubscribedChangesSkipMatching(fhirContext, registry);
		jpaInterceptors.registerInterceptor(interceptor);
		return interceptor;
	}

	/** Tells the filter, once the server is up, whether any Subscription is waiting to be loaded. */
	@Bean
	public ApplicationListener<ApplicationReadyEvent> subscriptionFilterStarted(
			ObjectProvider<UnsubscribedChangesSkipMatching> filter, DaoRegistry daos) {
		return ready -> filter.ifAvailable(f -> {
			SearchParameterMap activeOrRequested = SearchParameterMap.newSynchronous()
					.add("status", new TokenOrListParam().add("active").add("requested"));
			activeOrRequested.setCount(1);
			f.started(!daos.getResourceDao("Subscription").search(activeOrRequested, new SystemRequestDetails()).isEmpty());
		});
	}
}
