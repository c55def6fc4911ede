package org.bonemarrow.server.terminology;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.context.support.LookupCodeRequest;
import ca.uhn.fhir.context.support.ValidationSupportContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.validation.JpaValidationSupportChain;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.util.Optional;
import org.bonemarrow.server.fhir.FhirServerCustomizer;
import org.bonemarrow.server.fhir.OperationParameters;
import org.hl7.fhir.common.hapi.validation.support.UnknownCodeSystemWarningValidationSupport;
import org.springframework.stereotype.Component;

/**
 * What the terminology operations can answer, said plainly instead of a misleading answer:
 * <ul>
 *   <li>{@code CodeSystem/$lookup} knows the code systems the server holds: the package's CodeSystems
 *       (bme-*, stored), FHIR R4's own and the HL7 terminology code systems (v2 tables, v3, ...) that come
 *       with HAPI's core definitions, and those HAPI implements itself (UCUM, BCP-47 languages, MIME
 *       types, ISO 3166 countries, ISO 4217 currencies). SNOMED CT and LOINC are not loaded (no
 *       terminology server, by design): the package's ValueSets name their codes and displays, which
 *       {@code ValueSet/$expand} shows. A system outside these is 404 (HAPI answered 200 with an empty
 *       display: the validator's "unknown code systems are only a warning" support, which the server
 *       needs, claims every unknown system), and so is a code the system does not have (HAPI's own 404
 *       said "code[null] in system[null]");</li>
 *   <li>{@code $validate-code} of a ValueSet or CodeSystem url the server does not know is 404 (HAPI
 *       answered 200 with result false, as if the code were wrong). An unknown code in a known ValueSet
 *       or CodeSystem stays what the operation defines: 200, {@code result} false, with a message.</li>
 * </ul>
 * Checked before the operation runs; the operation itself is HAPI's.
 */
@Component
public class KnownTerminology implements FhirServerCustomizer {

	private final FhirContext ctx;
	private final JpaValidationSupportChain chain;

	public KnownTerminology(FhirContext ctx, JpaValidationSupportChain chain) {
		this.ctx = ctx;
		this.chain = chain;
	}

	@Override
	public void customize(RestfulServer server) {
		server.registerInterceptor(this);
	}

	@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
	public void check(RequestDetails request) {
		RestOperationTypeEnum operation = request.getRestOperationType();
		if (operation != RestOperationTypeEnum.EXTENDED_OPERATION_TYPE
				&& operation != RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE) {
			return;
		}
		String type = request.getResourceName();
		String name = request.getOperation();
		if ("CodeSystem".equals(type) && "$lookup".equals(name)) {
			lookup(OperationParameters.of(request, ctx));
		} else if ("ValueSet".equals(type) && "$validate-code".equals(name)) {
			OperationParameters.of(request, ctx).first("url").ifPresent(url -> {
				if (chain.fetchValueSet(url) == null && chain.fetchValueSet(versionless(url)) == null) {
					throw new ResourceNotFoundException("$validate-code: ValueSet " + url + " is not known to this server"
							+ " (GET /fhir/ValueSet lists those it holds)");
				}
			});
		} else if ("CodeSystem".equals(type) && "$validate-code".equals(name)) {
			OperationParameters.of(request, ctx).first("url").ifPresent(url -> {
				if (!known(versionless(url))) {
					throw unknownSystem("$validate-code", url);
				}
			});
		}
	}

	private void lookup(OperationParameters given) {
		Optional<String> coding = given.first("coding");
		String system = given.first("system").orElse(coding.map(c -> c.substring(0, c.indexOf('|'))).orElse(null));
		String code = given.first("code").orElse(coding.map(c -> c.substring(c.indexOf('|') + 1)).orElse(null));
		if (system == null || system.isBlank() || code == null || code.isBlank()) {
			return; // HAPI answers 400: a $lookup needs both
		}
		String version = given.first("version").orElse(null);
		if (!known(versionless(system))) {
			throw unknownSystem("$lookup", system);
		}
		IValidationSupport.LookupCodeResult result = chain.lookupCode(new ValidationSupportContext(chain),
				new LookupCodeRequest(version == null ? system : versionless(system) + "|" + version, code));
		if (result == null || !result.isFound()) {
			throw new ResourceNotFoundException("$lookup: code '" + code + "' is not in code system " + system
					+ (version == null ? "" : " version " + version));
		}
	}

	/** Whether a support that really holds code systems knows this one (not the unknown-system fallback). */
	boolean known(String system) {
		ValidationSupportContext context = new ValidationSupportContext(chain);
		return chain.getValidationSupports().stream()
				.filter(support -> !(support instanceof UnknownCodeSystemWarningValidationSupport))
				.anyMatch(support -> support.isCodeSystemSupported(context, system));
	}

	private static ResourceNotFoundException unknownSystem(String operation, String system) {
		return new ResourceNotFoundException(operation + ": code system " + system + " is not known to this server. It"
				+ " knows the CodeSystems it holds (GET /fhir/CodeSystem: the package's bme-* ones), FHIR R4's own and"
				+ " HL7 terminology code systems, UCUM, BCP-47 languages, MIME types, ISO 3166 and ISO 4217. SNOMED CT"
				+ " and LOINC are not loaded: ValueSet/$expand of the package's ValueSets shows the codes and displays"
				+ " it uses");
	}

	private static String versionless(String canonical) {
		int bar = canonical.indexOf('|');
		return bar < 0 ? canonical : canonical.substring(0, bar);
	}
}
