package org.bonemarrow.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Subscription;

/**
 * Rules for every stored Subscription, whoever writes it (REST, transactions, the configured receivers):
 * the channel endpoint and headers must pass {@link SubscriptionChannelPolicy} (else 422, nothing stored),
 * and on an update a header sent back as it was read, {@code Name: ***}, keeps the stored value of that
 * header. Readers only ever see masked headers ({@link SubscriptionSecretsMasking}), so a client that
 * reads, edits and writes back a Subscription must not overwrite its secret with the mask. On HAPI's JPA
 * interceptor service.
 */
@Interceptor
public class SubscriptionChannelRules {

	private final SubscriptionChannelPolicy policy;

	public SubscriptionChannelRules(SubscriptionChannelPolicy policy) {
		this.policy = policy;
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
	public void created(IBaseResource resource) {
		if (resource instanceof Subscription subscription) {
			restoreMasked(subscription, null);
			check(subscription);
		}
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
	public void updated(IBaseResource previous, IBaseResource resource) {
		if (resource instanceof Subscription subscription) {
			restoreMasked(subscription, previous instanceof Subscription p ? p : null);
			check(subscription);
		}
	}

	private void check(Subscription subscription) {
		Subscription.SubscriptionChannelComponent channel = subscription.getChannel();
		if (channel.getType() == Subscription.SubscriptionChannelType.RESTHOOK) {
			policy.endpointRefusal(channel.getEndpoint()).ifPresent(SubscriptionChannelRules::refuse);
		}
		for (StringType header : channel.getHeader()) {
			policy.headerRefusal(header.getValue()).ifPresent(SubscriptionChannelRules::refuse);
		}
	}

	private static void restoreMasked(Subscription subscription, Subscription previous) {
		List<StringType> headers = subscription.getChannel().getHeader();
		for (int i = 0; i < headers.size(); i++) {
			String header = headers.get(i).getValue();
			if (!SubscriptionChannelPolicy.isMasked(header)) {
				continue;
			}
			String stored = storedHeader(previous, SubscriptionChannelPolicy.name(header));
			if (stored == null) {
				refuse("Subscription.channel.header[" + i + "] is masked (" + SubscriptionChannelPolicy.MASK
						+ ") but this Subscription has no stored header of that name to keep; send the real value");
			}
			headers.set(i, new StringType(stored));
		}
	}

	private static String storedHeader(Subscription previous, String name) {
		if (previous == null || name.isEmpty()) {
			return null;
		}
		List<String> matching = new ArrayList<>();
		for (StringType header : previous.getChannel().getHeader()) {
			if (name.equals(SubscriptionChannelPolicy.name(header.getValue()))) {
				matching.add(header.getValue());
			}
		}
		// Two stored headers of one name cannot be told apart from their masks.
		return matching.size() == 1 ? matching.get(0) : null;
	}

	private static void refuse(String message) {
		throw new UnprocessableEntityException(message + ". Nothing was stored.");
	}
}
