package org.bonemarrow.server.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.util.FhirTerser;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;

/**
 * Refuses text that no database can store: an unpaired UTF-16 surrogate (JSON allows the escape
 * {@code \ud800} on its own; H2 then fails the commit with a 500, PostgreSQL likewise) and the NUL character
 * (PostgreSQL refuses it in text columns). FHIR strings are Unicode text without such characters (R4
 * datatypes: "string ... Unicode"), so the request is 400 and nothing is stored, whatever the encoding or
 * channel (JSON, XML, HL7 v2). On HAPI's JPA interceptor service, before anything is written.
 */
@Interceptor
public class StorableTextInterceptor {

	private final FhirTerser terser;

	public StorableTextInterceptor(FhirContext fhirContext) {
		this.terser = fhirContext.newTerser();
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
	public void created(IBaseResource resource) {
		check(resource);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
	public void updated(IBaseResource previous, IBaseResource resource) {
		check(resource);
	}

	void check(IBaseResource resource) {
		@SuppressWarnings("rawtypes")
		var primitives = terser.getAllPopulatedChildElementsOfType(resource, IPrimitiveType.class);
		for (IPrimitiveType<?> primitive : primitives) {
			String problem = unstorable(primitive.getValueAsString());
			if (problem != null) {
				throw new InvalidRequestException("A text value of this " + resource.fhirType() + " contains " + problem
						+ ", which FHIR strings may not hold and the database cannot store. Nothing was stored.");
			}
		}
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
