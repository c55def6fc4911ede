package org.bonemarrow.server.config;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.subscription.submit.interceptor.SubscriptionSubmitInterceptorLoader;
import ca.uhn.fhir.jpa.subscription.submit.interceptor.SubscriptionValidatingInterceptor;
import java.time.Clock;
import java.time.Duration;
import javax.sql.DataSource;
import org.bonemarrow.server.delivery.DeliveryOutbox;
import org.bonemarrow.server.delivery.DeliveryProperties;
import org.bonemarrow.server.fhir.FhirServerCustomizer;
import org.bonemarrow.server.profiles.ExamResourceClassifier;
import org.bonemarrow.server.subscriptions.CriteriaSubscriptionsValidatedByHapi;
import org.bonemarrow.server.subscriptions.NotificationSender;
import org.bonemarrow.server.subscriptions.PublishedTopics;
import org.bonemarrow.server.subscriptions.TopicChannel;
import org.bonemarrow.server.subscriptions.TopicEventStore;
import org.bonemarrow.server.subscriptions.TopicEventWriter;
import org.bonemarrow.server.subscriptions.TopicHeartbeats;
import org.bonemarrow.server.subscriptions.TopicOperations;
import org.bonemarrow.server.subscriptions.TopicPublisher;
import org.bonemarrow.server.subscriptions.TopicSubscriptionRules;
import org.bonemarrow.server.subscriptions.Topics;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Topic-based Subscriptions (R4 Subscriptions Backport IG, package {@code subscriptions}) over the durable
 * outbox: the topics, the rules for topic Subscriptions and their event writer on HAPI's JPA interceptor
 * service, the delivery channel the outbox dispatcher uses for them, heartbeats, and $events. Only with the
 * outbox delivering rest-hooks (the default): stock mode leaves Subscriptions to HAPI.
 */
@Configuration
@ConditionalOnProperty(name = "bonemarrow.delivery.rest-hook", havingValue = DeliveryProperties.OUTBOX, matchIfMissing = true)
public class TopicSubscriptionConfig {

	@Bean
	TopicEventStore topicEventStore(DataSource dataSource) {
		return new TopicEventStore(dataSource, Clock.systemUTC());
	}

	@Bean
	TopicChannel topicChannel(FhirContext fhirContext, DaoRegistry daos, TopicEventStore store,
			@Value("${bonemarrow.fhir.server-address:}") String serverAddress) {
		return new TopicChannel(fhirContext, daos, store, new NotificationSender(), serverAddress);
	}

	/**
	 * The topic rules and event writer on HAPI's JPA interceptor service; HAPI's Subscription validation is
	 * wrapped so it sees criteria Subscriptions only (the loader has registered it by now).
	 */
	@Bean
	TopicEventWriter topicEventWriter(FhirContext fhirContext, TopicEventStore store, DeliveryOutbox outbox,
			ExamResourceClassifier classifier, IInterceptorService jpaInterceptors,
			SubscriptionSubmitInterceptorLoader hapiLoader, SubscriptionValidatingInterceptor hapiValidation) {
		jpaInterceptors.unregisterInterceptor(hapiValidation);
		jpaInterceptors.registerInterceptor(new CriteriaSubscriptionsValidatedByHapi(hapiValidation));
		jpaInterceptors.registerInterceptor(new TopicSubscriptionRules(fhirContext, store, outbox));
		TopicEventWriter writer = new TopicEventWriter(store, outbox, Topics.ALL,
				(topic, resource) -> classifier.classify(resource).map(topic.profile()::equals).orElse(false));
		jpaInterceptors.registerInterceptor(writer);
		return writer;
	}

	/** The topics as readable resources, once the server (its validator, search parameters) is up. */
	@Bean
	ApplicationListener<ApplicationReadyEvent> topicsPublished(DaoRegistry daos) {
		return ready -> new TopicPublisher(daos).publish();
	}

	@Bean
	TopicHeartbeats topicHeartbeats(TopicEventStore store, TopicChannel channel) {
		return new TopicHeartbeats(store, channel, Duration.ofSeconds(1));
	}

	@Bean
	TopicOperations topicOperations(DaoRegistry daos, TopicEventStore store,
			@Value("${bonemarrow.fhir.server-address:}") String serverAddress) {
		return new TopicOperations(daos, store, serverAddress);
	}

	@Bean
	FhirServerCustomizer topicSubscriptionEndpoints(TopicOperations operations) {
		return server -> {
			server.registerProvider(operations);
			server.registerInterceptor(new PublishedTopics());
		};
	}
}
