package org.bonemarrow.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.IInterceptorService;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.interceptor.model.PrePatchDetails;
import ca.uhn.fhir.util.ResourceUtil;
import org.springframework.stereotype.Component;

/**
 * A PATCH is validated like an update: on the resource as it will be stored.
 *
 * <p>HAPI's JPA FhirContext keeps the raw JSON each resource was parsed from (HAPI's
 * FhirContextValidationSupportSvc sets {@code FhirContext#setStoreRawJson}), and the validator checks that
 * raw text instead of the resource whenever it is there. A FHIRPath Patch ({@code Parameters} body) changes the
 * stored resource in place, so its raw text is still the version before the patch: a patch that broke our
 * profile was validated as the unbroken resource and stored (deleting {@code Observation.code} of a
 * bme-cellularity finding answered 200, while the same JSON Patch answered 422). JSON Patch and XML Patch
 * parse a new resource from the patched text and were checked correctly. The raw text of the resource about
 * to be patched is dropped (STORAGE_PRESTORAGE_RESOURCE_PREPATCH, for a PATCH request and for a PATCH entry of
 * a transaction alike), so {@link ProfileValidationInterceptor} checks what will be stored.
 */
@Component
@Interceptor
public class PatchedResourceValidation {

	/** On HAPI's JPA interceptor service, where the storage pointcuts fire for every write. */
	public PatchedResourceValidation(IInterceptorService jpaInterceptors) {
		jpaInterceptors.registerInterceptor(this);
	}

	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_PREPATCH)
	public void checkThePatchedResourceNotItsOriginalText(PrePatchDetails patch) {
		if (patch.getResource() != null) {
			ResourceUtil.clearRawStringFromResource(patch.getResource());
		}
	}
}
