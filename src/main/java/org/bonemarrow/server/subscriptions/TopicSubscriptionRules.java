package org.bonemarrow.server.subscriptions;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.subscription.model.ResourceModifiedMessage;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.util.Optional;
import org.bonemarrow.server.delivery.DeliveryOutbox;
import org.bonemarrow.server.security.CallerIdentity;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.Subscription.SubscriptionStatus;

/**
 * Topic-based Subscriptions (Backport IG) when they are written, on HAPI's JPA interceptor service:
 * <ul>
 *   <li>refused with 422 before anything is stored when the topic is unknown, the payload content, a filter or
 *       the channel is not supported ({@link TopicSubscription#read}: every problem, each naming its element);
 *       a payload that names resources (id-only, full-resource) needs the creator's read scope on the topic's
 *       resource type (403), as the results it will carry could not be read by that client otherwise;</li>
 *   <li>the status is the server's: a new one is {@code requested}, and only a handshake the endpoint answers
 *       2xx makes it {@code active} ({@link TopicChannel}). A client may switch it off or ask again
 *       ({@code requested}); any other change of status, HAPI's own activation of requested Subscriptions
 *       included, is undone;</li>
 *   <li>in the same transaction: its row in {@link TopicEventStore} (topic, status, filters, owner) and, when
 *       it is (again) requested, the handshake as an outbox delivery;</li>
 *   <li>HAPI's subscription queue never carries them (it would activate them and deliver through its memory).</li>
 * </ul>
 */
@Interceptor
public class TopicSubscriptionRules {

	/** Marks the server's own status changes (after a handshake or a failed delivery). */
	public static final String LIFECYCLE = TopicSubscriptionRules.class.getName() + ".lifecycle";

	private final FhirContext fhirContext;
	private final TopicEventStore store;
	private final DeliveryOutbox outbox;

	public TopicSubscriptionRules(FhirContext fhirContext, TopicEventStore store, DeliveryOutbox outbox) {
		this.fhirContext = fhirContext;
		this.store = store;
		this.outbox = outbox;
	}

	static boolean isTopic(IBaseResource resource) {
		return resource instanceof Subscription s
				&& (TopicSubscription.isTopicSubscription(s) || TopicSubscription.namesATopic(s));
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
	public void creating(IBaseResource resource, RequestDetails request) {
		if (!isTopic(resource)) {
			return;
		}
		Subscription s = (Subscription) resource;
		TopicSubscription read = readOrRefuse(s);
		caller(request).ifPresent(caller -> {
			if (!BackportIg.EMPTY.equals(read.content()) && !caller.scopes().permits(read.topic().resourceType(), 'r')) {
				throw new ForbiddenOperationException("A topic Subscription with payload " + read.content() + " carries "
						+ read.topic().resourceType() + " resources: it needs read scope on " + read.topic().resourceType()
						+ " (or payload empty)");
			}
		});
		if (s.getStatus() != SubscriptionStatus.OFF) {
			s.setStatus(SubscriptionStatus.REQUESTED);
		}
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
	public void updating(IBaseResource previous, IBaseResource resource, RequestDetails request) {
		if (!isTopic(resource)) {
			return;
		}
		Subscription s = (Subscription) resource;
		readOrRefuse(s);
		if (isLifecycle(request)) {
			return;
		}
		SubscriptionStatus before = previous instanceof Subscription p ? p.getStatus() : null;
		SubscriptionStatus asked = s.getStatus();
		if (asked != SubscriptionStatus.OFF && asked != SubscriptionStatus.REQUESTED && asked != before) {
			// active and error are the server's to say (after a handshake, after failed deliveries).
			s.setStatus(before == null ? SubscriptionStatus.REQUESTED : before);
		}
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_CREATED)
	public void created(IBaseResource resource, RequestDetails request) {
		if (!isTopic(resource)) {
			return;
		}
		Subscription s = (Subscription) resource;
		TopicSubscription read = TopicSubscription.read(s).subscription();
		store.written(read, s.getStatus().toCode(), caller(request).map(CallerIdentity::clientId).orElse(null));
		if (s.getStatus() == SubscriptionStatus.REQUESTED) {
			queueHandshake(read.id());
		}
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_UPDATED)
	public void updated(IBaseResource previous, IBaseResource resource) {
		if (!isTopic(resource)) {
			if (isTopic(previous)) {
				store.gone(((Subscription) previous).getIdElement().getIdPart());
			}
			return;
		}
		Subscription s = (Subscription) resource;
		TopicSubscription read = TopicSubscription.read(s).subscription();
		store.written(read, s.getStatus().toCode(), null);
		SubscriptionStatus before = previous instanceof Subscription p ? p.getStatus() : null;
		if (s.getStatus() == SubscriptionStatus.REQUESTED && before != SubscriptionStatus.REQUESTED) {
			queueHandshake(read.id());
		}
	}

	@Hook(Pointcut.STORAGE_PRECOMMIT_RESOURCE_DELETED)
	public void deleted(IBaseResource resource) {
		if (isTopic(resource)) {
			store.gone(resource.getIdElement().getIdPart());
		}
	}

	/** False keeps the change out of HAPI's subscription queue. */
	@Hook(Pointcut.SUBSCRIPTION_RESOURCE_MODIFIED)
	public boolean notThroughHapisQueue(ResourceModifiedMessage message) {
		if (!message.hasResourceType(fhirContext, "Subscription")) {
			return true;
		}
		IBaseResource changed = message.getNewResource(fhirContext);
		return changed == null || !isTopic(changed);
	}

	/** The handshake is delivery number 0 of the Subscription's queue: it goes before any event. */
	private void queueHandshake(String subscriptionId) {
		outbox.enqueue(TopicChannel.NAME, subscriptionId, new IdType("Subscription", subscriptionId, "0"),
				TopicChannel.HANDSHAKE, false);
	}

	private static TopicSubscription readOrRefuse(Subscription s) {
		TopicSubscription.Read read = TopicSubscription.read(s);
		if (!read.problems().isEmpty()) {
			throw new UnprocessableEntityException(String.join("; ", read.problems()) + ". Nothing was stored.");
		}
		return read.subscription();
	}

	static boolean isLifecycle(RequestDetails request) {
		return request != null && Boolean.TRUE.equals(request.getUserData().get(LIFECYCLE));
	}

	static Optional<CallerIdentity> caller(RequestDetails request) {
		return request instanceof ServletRequestDetails servlet ? CallerIdentity.of(servlet.getServletRequest())
				: Optional.empty();
	}
}
