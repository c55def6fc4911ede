package org.bonemarrow.server.subscriptions;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.hl7.fhir.r4.model.CanonicalType;

/**
 * The topics in the CapabilityStatement (Backport IG, "Topic discovery" in R4): each published topic's
 * canonical as a {@code capabilitystatement-subscriptiontopic-canonical} extension on the Subscription
 * resource entry of {@code rest}, where clients look before they subscribe.
 */
@Interceptor
public class PublishedTopics {

	@Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
	public void listTopics(IBaseConformance generated) {
		if (!(generated instanceof CapabilityStatement cs)) {
			return;
		}
		for (CapabilityStatement.CapabilityStatementRestComponent rest : cs.getRest()) {
			for (CapabilityStatementRestResourceComponent resource : rest.getResource()) {
				if ("Subscription".equals(resource.getType())
						&& resource.getExtensionsByUrl(BackportIg.CAPABILITY_TOPIC_CANONICAL).isEmpty()) {
					for (CanonicalType topic : Topics.canonicals()) {
						resource.addExtension(BackportIg.CAPABILITY_TOPIC_CANONICAL, topic);
					}
				}
			}
		}
	}
}
