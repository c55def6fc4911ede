package org.bonemarrow.server.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.util.FhirTerser;
import java.math.BigDecimal;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;

/**
 * Refuses values that no database can store, or that would blow up on the way there, whatever the
 * encoding or channel (JSON, XML, PATCH, HL7 v2 over MLLP, which no HTTP filter sees):
 * <ul>
 *   <li>text with an unpaired UTF-16 surrogate (JSON allows the escape {@code \ud800} on its own; H2 then
 *       fails the commit with a 500, PostgreSQL likewise) or a NUL character (PostgreSQL refuses it in text
 *       columns): FHIR strings are Unicode text without such characters;</li>
 *   <li>a decimal with an exponent beyond {@link #MAX_EXPONENT} either way: {@code 1e999999999} is cheap as a
 *       BigDecimal, but indexing it for {@code value-quantity} expands it to its plain digits and exhausts the
 *       heap. The HTTP filter refuses such numbers in request bodies already; this is the same bound for
 *       every other way in.</li>
 * </ul>
 * The request is 400 and nothing is stored. On HAPI's JPA interceptor service, before validation and the
 * workflow rules.
 */
@Interceptor
public class StorableValuesInterceptor {

	/** The same bound as the HTTP filter's (security.RequestBodyInspector#MAX_EXPONENT). */
	static final int MAX_EXPONENT = 1000;
	/** Before the profile validation and the same-patient and workflow rules. */
	static final int FIRST = -1000;

	private final FhirTerser terser;

	public StorableValuesInterceptor(FhirContext fhirContext) {
		this.terser = fhirContext.newTerser();
	}

	@Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED, order = FIRST)
	public void created(IBaseResource resource) {
		check(resource);
	}

	@Hook(value = Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED, order = FIRST)
	public void updated(IBaseResource previous, IBaseResource resource) {
		check(resource);
	}

	void check(IBaseResource resource) {
		@SuppressWarnings("rawtypes")
		var primitives = terser.getAllPopulatedChildElementsOfType(resource, IPrimitiveType.class);
		for (IPrimitiveType<?> primitive : primitives) {
			String problem = primitive.getValue() instanceof BigDecimal number
					? outOfRange(number)
					: unstorable(primitive.getValueAsString());
			if (problem != null) {
				throw new InvalidRequestException("A value of this " + resource.fhirType() + " contains " + problem
						+ ", which the database cannot store. Nothing was stored.");
			}
		}
	}

	/** What is wrong with the number, or null. Pure; never expands the number. */
	static String outOfRange(BigDecimal number) {
		// value = unscaled * 10^-scale; the decimal exponent of its leading digit is precision - scale - 1.
		long exponent = (long) number.precision() - number.scale() - 1;
		if (Math.abs(exponent) > MAX_EXPONENT) {
			return "a number with a decimal exponent of " + exponent + " (the limit is " + MAX_EXPONENT + " either way)";
		}
		return null;
	}

	/** What is wrong with the text, or null. Pure. */
	static String unstorable(String text) {
		if (text == null) {
			return null;
		}
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c == '\u0000') {
				return "a NUL character";
			}
			if (Character.isHighSurrogate(c)) {
				if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
					i++;
					continue;
				}
				return "an unpaired UTF-16 surrogate";
			}
			if (Character.isLowSurrogate(c)) {
				return "an unpaired UTF-16 surrogate";
			}
		}
		return null;
	}
}
