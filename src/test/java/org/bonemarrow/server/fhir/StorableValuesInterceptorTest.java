package org.bonemarrow.server.fhir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.math.BigDecimal;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Quantity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StorableValuesInterceptorTest {

	private final StorableValuesInterceptor interceptor = new StorableValuesInterceptor(FhirContext.forR4Cached());

	@ParameterizedTest
	@ValueSource(strings = {"1e999999999", "-1E-999999999", "1e1002", "1e-1002"})
	void numbersBeyondTheExponentBoundAreRefused_withoutExpandingThem(String number) {
		Observation o = new Observation();
		o.setValue(new Quantity().setValue(new BigDecimal(number)));
		assertThatThrownBy(() -> interceptor.created(o)).isInstanceOf(InvalidRequestException.class)
				.hasMessageContaining("limit is 1000");
	}

	@ParameterizedTest
	@ValueSource(strings = {"62", "0.000001", "1e1000", "1e-999", "3.1415926535897932384626433832795028841971"})
	void ordinaryNumbersPass(String number) {
		assertThat(StorableValuesInterceptor.outOfRange(new BigDecimal(number))).isNull();
	}

	@Test
	void unstorableTextIsNamed_pairedSurrogatesPass() {
		assertThat(StorableValuesInterceptor.unstorable("a\u0000b")).contains("NUL");
		assertThat(StorableValuesInterceptor.unstorable("x\ud800")).contains("unpaired");
		assertThat(StorableValuesInterceptor.unstorable("\udc00x")).contains("unpaired");
		assertThat(StorableValuesInterceptor.unstorable("blast \ud83e\ude78 ok")).isNull();
	}
}
