package org.bonemarrow.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.ResponseDetails;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Subscription;

/**
 * {@code Subscription.channel.header} carries the receiver's credentials ("Authorization: Bearer ..."):
 * a secret of the receiving system, not data for whoever may read Subscriptions. Every response that
 * shows a Subscription (read, vread, history, search, includes, transaction responses, contained ones)
 * shows each header as {@code Name: ***}; the stored value is kept and used for deliveries, and a
 * masked header written back keeps it ({@link SubscriptionChannelRules}). On the REST server's
 * interceptor service, so only what leaves over HTTP is masked, never what HAPI delivers with.
 */
@Interceptor
public class SubscriptionSecretsMasking {

	/**
	 * After the authorization interceptor's own outgoing checks (order 0), which act on the response object
	 * in place; this hook may replace it with a masked copy. Before the HTML highlighter (10000).
	 */
	@Hook(value = Pointcut.SERVER_OUTGOING_RESPONSE, order = 100)
	public void mask(ResponseDetails response) {
		IBaseResource masked = masked(response.getResponseResource());
		if (masked != null) {
			response.setResponseResource(masked);
		}
	}

	/** A copy with masked headers when the resource shows any, else null (nothing to change). */
	static IBaseResource masked(IBaseResource resource) {
		if (resource instanceof Subscription subscription && showsHeaders(subscription)) {
			Subscription copy = subscription.copy();
			maskHeaders(copy);
			return copy;
		}
		if (resource instanceof Bundle bundle && bundle.getEntry().stream().anyMatch(e -> needsMasking(e.getResource()))) {
			Bundle copy = bundle.copy();
			for (Bundle.BundleEntryComponent entry : copy.getEntry()) {
				IBaseResource inner = masked(entry.getResource());
				if (inner != null) {
					entry.setResource((Resource) inner);
				}
				if (entry.hasResponse() && entry.getResponse().getOutcome() != null) {
					IBaseResource outcome = masked(entry.getResponse().getOutcome());
					if (outcome != null) {
						entry.getResponse().setOutcome((Resource) outcome);
					}
				}
			}
			return copy;
		}
		if (resource instanceof DomainResource domain && domain.getContained().stream().anyMatch(SubscriptionSecretsMasking::needsMasking)) {
			DomainResource copy = domain.copy();
			for (int i = 0; i < copy.getContained().size(); i++) {
				IBaseResource inner = masked(copy.getContained().get(i));
				if (inner != null) {
					copy.getContained().set(i, (Resource) inner);
				}
			}
			return copy;
		}
		return null;
	}

	private static boolean needsMasking(Resource resource) {
		if (resource instanceof Subscription subscription) {
			return showsHeaders(subscription);
		}
		if (resource instanceof Bundle bundle) {
			return bundle.getEntry().stream().anyMatch(e -> needsMasking(e.getResource()));
		}
		return resource instanceof DomainResource domain
				&& domain.getContained().stream().anyMatch(SubscriptionSecretsMasking::needsMasking);
	}

	private static boolean showsHeaders(Subscription subscription) {
		return subscription.getChannel().getHeader().stream()
				.anyMatch(h -> !SubscriptionChannelPolicy.isMasked(h.getValue()))
				|| subscription.getContained().stream().anyMatch(SubscriptionSecretsMasking::needsMasking);
	}

	private static void maskHeaders(Subscription subscription) {
		var headers = subscription.getChannel().getHeader();
		for (int i = 0; i < headers.size(); i++) {
			headers.set(i, new StringType(SubscriptionChannelPolicy.mask(headers.get(i).getValue())));
		}
	}
}
