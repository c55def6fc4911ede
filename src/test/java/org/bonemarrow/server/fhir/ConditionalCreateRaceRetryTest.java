package org.bonemarrow.server.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.Test;

/** Which requests lose nothing by running again after a version conflict: only those carrying a condition. */
class ConditionalCreateRaceRetryTest {

	private final ConditionalCreateRaceRetry retry = new ConditionalCreateRaceRetry();

	@Test
	void aConditionalCreateIsRetried() {
		SystemRequestDetails request = request(RestOperationTypeEnum.CREATE);
		request.addHeader("If-None-Exist", "identifier=urn:x|1");
		assertThat(retry.onConflict(request).isRetry()).isTrue();
		assertThat(retry.onConflict(request).getMaxRetries()).isEqualTo(ConditionalCreateRaceRetry.MAX_RETRIES);
	}

	@Test
	void aPlainCreateOrUpdateIsNot() {
		assertThat(retry.onConflict(request(RestOperationTypeEnum.CREATE)).isRetry()).isFalse();
		assertThat(retry.onConflict(request(RestOperationTypeEnum.UPDATE)).isRetry()).isFalse();
		assertThat(retry.onConflict(request(RestOperationTypeEnum.DELETE)).isRetry()).isFalse();
	}

	@Test
	void aConditionalUpdateIsRetried() {
		SystemRequestDetails request = request(RestOperationTypeEnum.UPDATE);
		request.setResourceName("Patient");
		request.setCompleteUrl("http://localhost/fhir/Patient?identifier=urn:x|1");
		assertThat(retry.onConflict(request).isRetry()).isTrue();
		request.setCompleteUrl("http://localhost/fhir/Patient/1");
		assertThat(retry.onConflict(request).isRetry()).isFalse();
	}

	@Test
	void aTransactionIsRetriedOnlyWithAConditionalEntry() {
		Bundle plain = new Bundle().setType(Bundle.BundleType.TRANSACTION);
		plain.addEntry().setResource(new Patient()).getRequest().setMethod(Bundle.HTTPVerb.POST).setUrl("Patient");
		plain.addEntry().setResource(new Patient()).getRequest().setMethod(Bundle.HTTPVerb.PUT).setUrl("Patient/1");
		SystemRequestDetails request = request(RestOperationTypeEnum.TRANSACTION);
		request.setResource(plain);
		assertThat(retry.onConflict(request).isRetry()).isFalse();

		Bundle conditionalCreate = plain.copy();
		conditionalCreate.getEntryFirstRep().getRequest().setIfNoneExist("identifier=urn:x|1");
		request.setResource(conditionalCreate);
		assertThat(retry.onConflict(request).isRetry()).isTrue();

		Bundle conditionalUpdate = plain.copy();
		conditionalUpdate.getEntry().get(1).getRequest().setUrl("Patient?identifier=urn:x|1");
		request.setResource(conditionalUpdate);
		assertThat(retry.onConflict(request).isRetry()).isTrue();
	}

	@Test
	void noRequestNoRetry() {
		assertThat(retry.onConflict(null).isRetry()).isFalse();
	}

	private static SystemRequestDetails request(RestOperationTypeEnum operation) {
		SystemRequestDetails request = new SystemRequestDetails();
		request.setRestOperationType(operation);
		return request;
	}
}
