package org.bonemarrow.server.security;

import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRule;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRuleBuilder;
import ca.uhn.fhir.rest.server.interceptor.auth.RuleBuilder;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.hl7.fhir.r4.model.ServiceRequest;

/**
 * Translates SMART system scopes into HAPI authorization rules, one request at a time. HAPI's rule
 * builder knows read and write; SMART splits them into r/s and c/u, so the split is made here:
 * <ul>
 *   <li>a search of a type needs {@code s}, a read/vread/history of it needs {@code r} (deny rules for
 *       this request's own type); resources shown alongside (_include, paging) need {@code r} or {@code s};</li>
 *   <li>{@code c} allows create, {@code u} allows update (HAPI's write); {@code u} without {@code c} gets an
 *       explicit create deny first, since HAPI's write also creates;</li>
 *   <li>{@code d} allows delete;</li>
 *   <li>a transaction or batch is allowed only when every entry is (HAPI checks each entry against the
 *       same rules, and refuses the whole bundle when one is outside);</li>
 *   <li>the wildcard type never reaches AuditEvent ({@link SmartScopes#PROTECTED_TYPES}), and no client
 *       writes AuditEvents: the server does.</li>
 * </ul>
 */
public final class SmartScopeRules {

	private static final Set<RestOperationTypeEnum> SEARCHES = EnumSet.of(
			RestOperationTypeEnum.SEARCH_TYPE, RestOperationTypeEnum.SEARCH_SYSTEM);
	private static final Set<RestOperationTypeEnum> READS = EnumSet.of(
			RestOperationTypeEnum.READ, RestOperationTypeEnum.VREAD, RestOperationTypeEnum.HISTORY_INSTANCE,
			RestOperationTypeEnum.HISTORY_TYPE);

	private SmartScopeRules() {}

	/**
	 * @param operation    this request's interaction, or null when unknown
	 * @param resourceType this request's resource type (the URL's), or null for system-level requests
	 */
	public static List<IAuthRule> forRequest(SmartScopes scopes, RestOperationTypeEnum operation, String resourceType) {
		IAuthRuleBuilder rules = new RuleBuilder();
		rules.allow("capability statement").metadata().andThen();

		// Refusals first: HAPI applies the first rule that matches.
		if (resourceType != null && SEARCHES.contains(operation) && !scopes.permits(resourceType, 's')) {
			rules.deny("no search scope for " + resourceType).read().resourcesOfType(resourceType).withAnyId().andThen();
		}
		if (resourceType != null && READS.contains(operation) && !scopes.permits(resourceType, 'r')) {
			rules.deny("no read scope for " + resourceType).read().resourcesOfType(resourceType).withAnyId().andThen();
		}
		for (String type : SmartScopes.PROTECTED_TYPES) {
			if (!scopes.permits(type, 'r') && !scopes.permits(type, 's')) {
				rules.deny(type + " needs its own scope").read().resourcesOfType(type).withAnyId().andThen();
			}
			rules.deny(type + " is written by the server only").write().resourcesOfType(type).withAnyId().andThen();
			rules.deny(type + " is written by the server only").delete().resourcesOfType(type).withAnyId().andThen();
		}
		for (String type : updateWithoutCreate(scopes)) {
			rules.deny("no create scope for " + type).create().resourcesOfType(type).withAnyId().andThen();
		}

		// Reads (r or s) for the types shown.
		if (scopes.wildcardPermits('r') || scopes.wildcardPermits('s')) {
			rules.allow("read any type").read().allResources().withAnyId().andThen();
		}
		for (String type : union(scopes.typesPermitting('r'), scopes.typesPermitting('s'))) {
			rules.allow("read " + type).read().resourcesOfType(type).withAnyId().andThen();
		}
		// Writes.
		if (scopes.wildcardPermits('c')) {
			rules.allow("create any type").create().allResources().withAnyId().andThen();
			rules.allow("conditional create any type").createConditional().allResources().andThen();
		}
		for (String type : scopes.typesPermitting('c')) {
			rules.allow("create " + type).create().resourcesOfType(type).withAnyId().andThen();
			rules.allow("conditional create " + type).createConditional().resourcesOfType(type).andThen();
		}
		if (scopes.wildcardPermits('u')) {
			rules.allow("update any type").write().allResources().withAnyId().andThen();
			rules.allow("conditional update any type").updateConditional().allResources().andThen();
		}
		for (String type : scopes.typesPermitting('u')) {
			rules.allow("update " + type).write().resourcesOfType(type).withAnyId().andThen();
			rules.allow("conditional update " + type).updateConditional().resourcesOfType(type).andThen();
		}
		if (scopes.wildcardPermits('d')) {
			rules.allow("delete any type").delete().allResources().withAnyId().andThen();
		}
		for (String type : scopes.typesPermitting('d')) {
			rules.allow("delete " + type).delete().resourcesOfType(type).withAnyId().andThen();
		}
		// Operations: the exam summary is a read of the order and what hangs off it (each returned resource
		// is checked against the read rules above); $validate stores nothing.
		if (scopes.permits("ServiceRequest", 'r')) {
			rules.allow("exam summary").operation().named("exam-summary").onInstancesOfType(ServiceRequest.class)
					.andRequireExplicitResponseAuthorization().andThen();
		}
		if (!scopes.typesPermitting('c').isEmpty() || scopes.wildcardPermits('c')) {
			rules.allow("validate").operation().named("validate").atAnyLevel().andAllowAllResponses().andThen();
		}
		rules.allow("transaction and batch, entry by entry").transaction().withAnyOperation().andApplyNormalRules().andThen();
		return rules.denyAll("outside the client's SMART scopes").build();
	}

	private static Set<String> updateWithoutCreate(SmartScopes scopes) {
		Set<String> types = new TreeSet<>(scopes.typesPermitting('u'));
		types.removeIf(type -> scopes.permits(type, 'c'));
		return types;
	}

	private static Set<String> union(Set<String> a, Set<String> b) {
		Set<String> all = new TreeSet<>(a);
		all.addAll(b);
		return all;
	}
}
