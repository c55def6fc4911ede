package org.bonemarrow.server.subscriptions;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import org.hl7.fhir.r4.model.Basic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the topics as the Backport IG's R4 SubscriptionTopic representation ({@code Basic/<topic id>},
 * {@link Topics#asBasic}), so a client can read what a topic fires on and how it filters, and search them
 * ({@code Basic?code=http://hl7.org/fhir/fhir-types|SubscriptionTopic}). Written at start-up by id: an
 * unchanged topic writes no new version; two instances starting together may race, the loser logs it.
 */
public class TopicPublisher {

	private static final Logger log = LoggerFactory.getLogger(TopicPublisher.class);

	private final DaoRegistry daos;

	public TopicPublisher(DaoRegistry daos) {
		this.daos = daos;
	}

	public void publish() {
		for (Topic topic : Topics.ALL) {
			Basic basic = Topics.asBasic(topic);
			try {
				daos.getResourceDao(Basic.class).update(basic, new SystemRequestDetails());
			} catch (RuntimeException e) {
				log.warn("Topic {} not published as Basic/{} ({}); subscribing to it still works", topic.url(),
						basic.getIdElement().getIdPart(), e.getClass().getSimpleName());
			}
		}
	}
}
