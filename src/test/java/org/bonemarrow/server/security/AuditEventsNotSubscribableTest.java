package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.subscription.model.ResourceModifiedMessage;
import ca.uhn.fhir.rest.server.messaging.BaseResourceMessage;
import org.bonemarrow.server.security.audit.AuditEventsNotSubscribable;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.Test;

/** AuditEvents are withheld from subscription matching; every other stored resource still goes through. */
class AuditEventsNotSubscribableTest {

	private static final FhirContext CTX = FhirContext.forR4Cached();
	private final AuditEventsNotSubscribable hook = new AuditEventsNotSubscribable(CTX);

	@Test
	void anAuditEventIsNotQueuedForMatching() {
		assertThat(hook.resourceModified(message(new AuditEvent(), "AuditEvent/1"))).isFalse();
	}

	@Test
	void clinicalResourcesAreStillQueued() {
		assertThat(hook.resourceModified(message(new DiagnosticReport(), "DiagnosticReport/2"))).isTrue();
	}

	private static ResourceModifiedMessage message(Resource resource, String id) {
		resource.setId(id + "/_history/1");
		return new ResourceModifiedMessage(CTX, resource, BaseResourceMessage.OperationTypeEnum.CREATE, null,
				RequestPartitionId.defaultPartition());
	}
}
