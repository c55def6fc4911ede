package org.bonemarrow.server.config;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.subscription.match.deliver.resthook.SubscriptionDeliveringRestHookListener;
import ca.uhn.fhir.jpa.subscription.match.matcher.matching.DaoSubscriptionMatcher;
import ca.uhn.fhir.jpa.subscription.match.matcher.matching.InMemorySubscriptionMatcher;
import ca.uhn.fhir.jpa.subscription.match.registry.SubscriptionCanonicalizer;
import ca.uhn.fhir.jpa.subscription.match.registry.SubscriptionLoader;
import ca.uhn.fhir.jpa.subscription.match.registry.SubscriptionRegistry;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import ca.uhn.fhir.storage.interceptor.balp.IBalpAuditEventSink;
import java.time.Clock;
import java.util.List;
import javax.sql.DataSource;
import org.bonemarrow.server.delivery.DeliveryAudit;
import org.bonemarrow.server.delivery.DeliveryChannel;
import org.bonemarrow.server.delivery.DeliveryDispatcher;
import org.bonemarrow.server.delivery.DeliveryOperations;
import org.bonemarrow.server.delivery.DeliveryOutbox;
import org.bonemarrow.server.delivery.DeliveryProperties;
import org.bonemarrow.server.delivery.HapiDeliveryHandedOver;
import org.bonemarrow.server.delivery.RestHookChannel;
import org.bonemarrow.server.delivery.SubscriptionOutboxWriter;
import org.bonemarrow.server.delivery.SubscriptionRegistryFreshness;
import org.bonemarrow.server.fhir.FhirServerCustomizer;
import org.bonemarrow.server.security.CallerIdentity;
import org.bonemarrow.server.subscriptions.TopicChannel;
import org.bonemarrow.server.subscriptions.TopicOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The durable delivery outbox (package {@code delivery}): the table, the dispatcher that works it, the
 * rest-hook channel and its transactional writer on HAPI's JPA interceptor service, and the FHIR operations
 * to see and replay it. HL7 v2 results use the same outbox through {@code v2.V2ResultPublisher} and
 * {@code v2.V2OutboundSender}. With {@code bonemarrow.delivery.rest-hook=hapi} (stock mode) HAPI delivers
 * rest-hooks itself, as it does out of the box.
 */
@Configuration
public class DeliveryConfig {

	private static final Logger log = LoggerFactory.getLogger(DeliveryConfig.class);
	private static final String OUTBOX_DELIVERS_REST_HOOKS = "bonemarrow.delivery.rest-hook";

	@Bean
	DeliveryOutbox deliveryOutbox(DataSource dataSource, PlatformTransactionManager transactions) {
		return new DeliveryOutbox(dataSource, transactions, Clock.systemUTC());
	}

	@Bean
	DeliveryAudit deliveryAudit(ObjectProvider<IBalpAuditEventSink> auditTrail) {
		return new DeliveryAudit(auditTrail.getIfAvailable());
	}

	@Bean
	DeliveryDispatcher deliveryDispatcher(DeliveryOutbox outbox, List<DeliveryChannel> channels,
			DeliveryProperties properties, DeliveryAudit audit) {
		return new DeliveryDispatcher(outbox, channels, properties, audit, Clock.systemUTC());
	}

	@Bean
	ApplicationListener<ApplicationReadyEvent> deliveriesStartWhenReady(DeliveryDispatcher dispatcher) {
		return ready -> dispatcher.markReady();
	}

	@Bean
	@ConditionalOnProperty(name = OUTBOX_DELIVERS_REST_HOOKS, havingValue = DeliveryProperties.OUTBOX, matchIfMissing = true)
	RestHookChannel restHookChannel(FhirContext fhirContext, DaoRegistry daos, SubscriptionCanonicalizer canonicalizer,
			DaoSubscriptionMatcher databaseMatcher, IInterceptorService jpaInterceptors,
			ObjectProvider<SubscriptionDeliveringRestHookListener> hapiRestHookListeners) {
		return new RestHookChannel(fhirContext, daos, canonicalizer, databaseMatcher, jpaInterceptors,
				hapiRestHookListeners::getObject);
	}

	@Bean
	@ConditionalOnProperty(name = OUTBOX_DELIVERS_REST_HOOKS, havingValue = DeliveryProperties.OUTBOX, matchIfMissing = true)
	SubscriptionOutboxWriter subscriptionOutboxWriter(FhirContext fhirContext, SubscriptionRegistry registry,
			InMemorySubscriptionMatcher matcher, DeliveryOutbox outbox, IInterceptorService jpaInterceptors,
			DataSource dataSource, SubscriptionLoader loader) {
		SubscriptionRegistryFreshness freshness = new SubscriptionRegistryFreshness(fhirContext, dataSource, loader);
		jpaInterceptors.registerInterceptor(freshness);
		SubscriptionOutboxWriter writer = new SubscriptionOutboxWriter(fhirContext, registry, matcher, outbox, freshness);
		jpaInterceptors.registerInterceptor(writer);
		jpaInterceptors.registerInterceptor(new HapiDeliveryHandedOver(fhirContext));
		return writer;
	}

	/**
	 * The outbox matches each write against HAPI's registry of active Subscriptions before it commits, so the
	 * registry is loaded from the database before the web server takes the first request (HAPI itself loads
	 * it a little later, asynchronously). Phase: before the web server starts (MAX_VALUE - 2048).
	 */
	@Bean
	@ConditionalOnProperty(name = OUTBOX_DELIVERS_REST_HOOKS, havingValue = DeliveryProperties.OUTBOX, matchIfMissing = true)
	SmartLifecycle subscriptionsLoadedBeforeRequests(SubscriptionLoader loader) {
		return new SmartLifecycle() {
			private volatile boolean running;

			@Override
			public void start() {
				try {
					loader.forceRefresh();
				} catch (RuntimeException e) {
					log.warn("Subscriptions not loaded before the first request ({}); HAPI loads them shortly",
							e.getClass().getSimpleName());
				}
				running = true;
			}

			@Override
			public void stop() {
				running = false;
			}

			@Override
			public boolean isRunning() {
				return running;
			}

			@Override
			public int getPhase() {
				return Integer.MAX_VALUE - 4096;
			}
		};
	}

	/** A bean of its own: the console's replay button calls the same replay as {@code $replay}. */
	@Bean
	DeliveryOperations deliveryOperations(DeliveryOutbox outbox, List<DeliveryChannel> channels, DeliveryAudit audit,
			DaoRegistry daos, ObjectProvider<TopicOperations> topics) {
		DeliveryOperations.TopicStatus topicStatus = (subscription, request) -> topics.getIfAvailable() == null
				? java.util.Optional.empty()
				: topics.getObject().topicStatus(subscription, request).map(state -> new DeliveryOperations.TopicStatus.TopicFacts(
						TopicChannel.NAME, state.topic(), state.events()));
		DeliveryOperations operations = new DeliveryOperations(outbox, channels, audit, daos,
				request -> request instanceof ServletRequestDetails servlet
						? CallerIdentity.of(servlet.getServletRequest()).map(CallerIdentity::clientId).orElse(null)
						: null, topicStatus);
		return operations;
	}

	@Bean
	FhirServerCustomizer deliveryOperationsProvider(DeliveryOperations operations) {
		return server -> server.registerProvider(operations);
	}
}
