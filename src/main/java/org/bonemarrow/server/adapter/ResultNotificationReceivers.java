package org.bonemarrow.server.adapter;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import ca.uhn.fhir.util.HapiExtensions;
import java.time.Duration;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Workflow step 5 (results out), the configured half: each receiver in {@code bonemarrow.notifications}
 * becomes a rest-hook Subscription with a fixed id, written with PUT semantics at start-up so a restart
 * with changed settings updates it instead of adding a second one. EHRs can also register themselves by
 * POSTing a Subscription; both kinds are delivered the same way, through the durable outbox (package
 * delivery). HAPI's retry-count extension is still written: it is what HAPI reads when it delivers itself
 * ({@code bonemarrow.delivery.rest-hook=hapi}, stock mode).
 */
@Component
public class ResultNotificationReceivers {

	private static final Logger log = LoggerFactory.getLogger(ResultNotificationReceivers.class);
	static final String ID_PREFIX = "bme-receiver-";
	private static final Duration ACTIVATION_DEADLINE = Duration.ofSeconds(60);

	private final DaoRegistry daos;
	private final NotificationProperties properties;

	public ResultNotificationReceivers(DaoRegistry daos, NotificationProperties properties) {
		this.daos = daos;
		this.properties = properties;
	}

	/**
	 * Runs before the server reports itself ready for traffic (readiness follows ApplicationReadyEvent), and
	 * waits until HAPI has activated each receiver's Subscription: a report stored before then would be
	 * matched against no Subscription and owe the receiver nothing. HAPI accepts a new Subscription only as
	 * {@code requested} and activates it asynchronously, within a second or two.
	 */
	@EventListener(ApplicationReadyEvent.class)
	public void registerConfiguredReceivers() throws InterruptedException {
		for (NotificationProperties.Receiver receiver : properties.receivers()) {
			Subscription wanted = subscriptionFor(receiver, properties.deliveryRetries());
			if (isActive(ID_PREFIX + receiver.id())) {
				// Already active (another instance, or an earlier start): kept active, so that instances already
				// serving never see it fall back to requested and unmatched; unchanged settings write nothing.
				wanted.setStatus(Subscription.SubscriptionStatus.ACTIVE);
			}
			daos.getResourceDao(Subscription.class).update(wanted, new SystemRequestDetails());
			log.info("Notification receiver {} registered as Subscription/{}", receiver.id(), ID_PREFIX + receiver.id());
		}
		long deadline = System.nanoTime() + ACTIVATION_DEADLINE.toNanos();
		for (NotificationProperties.Receiver receiver : properties.receivers()) {
			while (!isActive(ID_PREFIX + receiver.id())) {
				if (System.nanoTime() > deadline) {
					log.warn("Subscription/{}{} not active after {}; results stored until it is are not sent to it",
							ID_PREFIX, receiver.id(), ACTIVATION_DEADLINE);
					break;
				}
				Thread.sleep(100);
			}
		}
	}

	private boolean isActive(String id) {
		try {
			return daos.getResourceDao(Subscription.class).read(new IdType("Subscription", id), new SystemRequestDetails())
					.getStatus() == Subscription.SubscriptionStatus.ACTIVE;
		} catch (ResourceNotFoundException | ResourceGoneException e) {
			return false;
		}
	}

	/** Pure: the Subscription for one configured receiver. */
	static Subscription subscriptionFor(NotificationProperties.Receiver receiver, int retries) {
		if (receiver.id() == null || !receiver.id().matches("[A-Za-z0-9-]{1,50}")) {
			throw new IllegalArgumentException("bonemarrow.notifications.receivers[].id must be 1-50 letters, digits or '-'");
		}
		Subscription s = new Subscription();
		s.setId(ID_PREFIX + receiver.id());
		s.setStatus(Subscription.SubscriptionStatus.REQUESTED);
		s.setReason("Bone marrow exam results for receiving system " + receiver.id());
		s.setCriteria(receiver.criteria());
		Subscription.SubscriptionChannelComponent channel = s.getChannel();
		channel.setType(Subscription.SubscriptionChannelType.RESTHOOK);
		channel.setEndpoint(receiver.endpoint());
		if (receiver.payload() != null && !receiver.payload().isBlank()) {
			channel.setPayload(receiver.payload());
		}
		receiver.headers().forEach(channel::addHeader);
		withRetries(s, retries);
		return s;
	}

	/** HAPI's extension for rest-hook delivery retries (read into its ChannelRetryConfiguration). */
	public static Subscription withRetries(Subscription s, int retries) {
		s.getChannel().addExtension(HapiExtensions.EX_RETRY_COUNT, new IntegerType(retries));
		return s;
	}
}
