package org.bonemarrow.server.security;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizationFlagsEnum;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizationInterceptor.Verdict;
import ca.uhn.fhir.rest.server.interceptor.auth.IRuleApplier;
import ca.uhn.fhir.rest.server.interceptor.auth.PolicyEnum;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRule;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRuleBuilder;
import ca.uhn.fhir.rest.server.interceptor.auth.RuleBuilder;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.CodeSystem;
import org.hl7.fhir.r4.model.Group;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Subscription;
import org.hl7.fhir.r4.model.ValueSet;

/**
 * Translates SMART system scopes into HAPI authorization rules, one request at a time. HAPI's rule
 * builder knows read and write; SMART splits them into r/s and c/u, so the split is made here:
 * <ul>
 *   <li>a search of a type needs {@code s}, a read/vread/history of it needs {@code r} (deny rules for
 *       this request's own type); resources shown alongside (_include, paging) need {@code r} or {@code s};</li>
 *   <li>{@code c} allows create, {@code u} allows update (HAPI's write: PUT and PATCH); {@code u} without
 *       {@code c} gets an explicit create deny first, since HAPI's write also creates;</li>
 *   <li>{@code d} allows delete, also conditional delete ({@code DELETE Subscription?status=off}): HAPI's
 *       rule for a conditional delete at the door matches whichever delete rule comes first, whatever its
 *       type, so a rule of our own decides it from the URL's type, and each resource the match finds is
 *       then checked like a plain delete;</li>
 *   <li>a page link ({@code _getpages}) is let through at the door: who may follow it is decided by
 *       {@code fhir.SearchPageOwners} (only the client it was given to), and every resource on the page is
 *       checked on the way out like any search result. HAPI's read rules match a page request whatever
 *       their type, so without this the first deny rule (AuditEvent) refused every page;</li>
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

	private static final Set<RestOperationTypeEnum> OPERATIONS = EnumSet.of(RestOperationTypeEnum.EXTENDED_OPERATION_SERVER,
			RestOperationTypeEnum.EXTENDED_OPERATION_TYPE, RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE);

	private SmartScopeRules() {}

	/**
	 * @param operation    this request's interaction, or null when unknown
	 * @param resourceType this request's resource type (the URL's), or null for system-level requests
	 */
	public static List<IAuthRule> forRequest(SmartScopes scopes, RestOperationTypeEnum operation, String resourceType) {
		IAuthRuleBuilder rules = new RuleBuilder();
		rules.allow("capability statement").metadata().andThen();
		List<IAuthRule> own = List.of(pageLinksAtTheDoor(), conditionalDeleteAtTheDoor(scopes));

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
		// ConceptMap/$translate (the HL7 v2 gateway's code maps) answers from the stored maps and stores
		// nothing: a read of ConceptMap.
		if (scopes.permits("ConceptMap", 'r')) {
			rules.allow("translate").operation().named("translate").onType(org.hl7.fhir.r4.model.ConceptMap.class)
					.andAllowAllResponses().andThen();
			rules.allow("translate with one map").operation().named("translate")
					.onInstancesOfType(org.hl7.fhir.r4.model.ConceptMap.class).andAllowAllResponses().andThen();
		}
		terminologyAndEverything(rules, scopes);
		// Result deliveries (package delivery): their state is read with a read scope on Subscription, and
		// replaying or re-sending one, which changes what the server owes a receiver, needs its update scope.
		if (scopes.permits("Subscription", 'r')) {
			rules.allow("subscription status").operation().named("status").onInstancesOfType(Subscription.class)
					.andAllowAllResponses().andThen();
			rules.allow("delivery status").operation().named("delivery-status").onServer().andAllowAllResponses().andThen();
		}
		// Topic-based Subscriptions (package subscriptions): $events is a read of the caller's own Subscription;
		// which client owns it, and whether it may read the resources the answer names, is checked by the
		// operation itself (TopicOperations), as the answer is built from stored events, not searched.
		if (scopes.permits("Subscription", 'r')) {
			rules.allow("topic subscription events").operation().named("events").onInstancesOfType(Subscription.class)
					.andAllowAllResponses().andThen();
		}
		if (scopes.permits("Subscription", 'u')) {
			rules.allow("replay dead letters").operation().named("replay").onServer().andAllowAllResponses().andThen();
			rules.allow("resend a resource").operation().named("resend").onAnyInstance().andAllowAllResponses().andThen();
		}
		// Bulk Data $export (package bulk): a client that may read some type may start an export; the export
		// rule (checked when the job is about to start, STORAGE_INITIATE_BULK_EXPORT, before the operation rules
		// below can match it) allows only types it may read, AuditEvent only with its own scope. bulk.BulkExportGate
		// has already narrowed the types or refused them by name; bulk.ExportOwnership keeps the status and
		// the files to the client that started it.
		// Only an operation request can be an export: other requests skip listing every readable type.
		Set<String> exportable = OPERATIONS.contains(operation) ? readableTypes(scopes) : Set.of();
		if (!exportable.isEmpty()) {
			rules.allow("bulk export of readable types").bulkExport().any().withResourceTypes(exportable).andThen();
			rules.allow("bulk export kick-off").operation().named("export").onServer().andAllowAllResponses().andThen();
			rules.allow("patient bulk export kick-off").operation().named("export").onType(Patient.class)
					.andAllowAllResponses().andThen();
			rules.allow("patient bulk export kick-off").operation().named("export").onInstancesOfType(Patient.class)
					.andAllowAllResponses().andThen();
			rules.allow("group bulk export kick-off").operation().named("export").onInstancesOfType(Group.class)
					.andAllowAllResponses().andThen();
			rules.allow("bulk export status").operation().named("export-poll-status").onServer()
					.andAllowAllResponses().andThen();
		}
		if (!scopes.typesPermitting('c').isEmpty() || scopes.wildcardPermits('c')) {
			rules.allow("validate").operation().named("validate").atAnyLevel().andAllowAllResponses().andThen();
		}
		rules.allow("transaction and batch, entry by entry").transaction().withAnyOperation().andApplyNormalRules().andThen();
		List<IAuthRule> built = rules.denyAll("outside the client's SMART scopes").build();
		List<IAuthRule> all = new ArrayList<>(own.size() + built.size());
		all.addAll(own);
		all.addAll(built);
		return all;
	}

	/*
	 * Terminology operations (package terminology) answer from the stored ValueSets, CodeSystems and
	 * ConceptMaps and store nothing, so each is a read of the type it is invoked on, at type and instance
	 * level, GET or POST with a Parameters body alike: $expand and ValueSet/$validate-code need ValueSet r,
	 * $lookup and CodeSystem/$validate-code need CodeSystem r (ConceptMap/$translate is above).
	 * Patient/<id>/$everything is a read of the patient's record: it needs Patient r, and every resource it
	 * returns is checked against the read rules above; fhir.PatientEverything leaves out, before that check,
	 * what the caller may not read (AuditEvent above all) instead of the whole answer being refused.
	 */
	private static void terminologyAndEverything(IAuthRuleBuilder rules, SmartScopes scopes) {
		if (scopes.permits("ValueSet", 'r')) {
			rules.allow("expand").operation().named("expand").onType(ValueSet.class).andAllowAllResponses().andThen();
			rules.allow("expand one value set").operation().named("expand").onInstancesOfType(ValueSet.class)
					.andAllowAllResponses().andThen();
			rules.allow("validate code in a value set").operation().named("validate-code").onType(ValueSet.class)
					.andAllowAllResponses().andThen();
			rules.allow("validate code in one value set").operation().named("validate-code")
					.onInstancesOfType(ValueSet.class).andAllowAllResponses().andThen();
		}
		if (scopes.permits("CodeSystem", 'r')) {
			rules.allow("lookup").operation().named("lookup").onType(CodeSystem.class).andAllowAllResponses().andThen();
			rules.allow("validate code in a code system").operation().named("validate-code").onType(CodeSystem.class)
					.andAllowAllResponses().andThen();
			rules.allow("validate code in one code system").operation().named("validate-code")
					.onInstancesOfType(CodeSystem.class).andAllowAllResponses().andThen();
		}
		if (scopes.permits("Patient", 'r')) {
			rules.allow("everything of one patient").operation().named("everything").onInstancesOfType(Patient.class)
					.andRequireExplicitResponseAuthorization().andThen();
		}
		// The type level ($everything of every patient, or of those named by _id) is a search of patients.
		if (scopes.permits("Patient", 'r') && scopes.permits("Patient", 's')) {
			rules.allow("everything of patients").operation().named("everything").onType(Patient.class)
					.andRequireExplicitResponseAuthorization().andThen();
		}
	}

	/** A page request before it runs; its owner is checked elsewhere, its resources on the way out. */
	private static IAuthRule pageLinksAtTheDoor() {
		return new DoorRule("follow own page links") {
			@Override
			Verdict decide(RestOperationTypeEnum operation, RequestDetails request, IIdType inputId) {
				return operation == RestOperationTypeEnum.GET_PAGE ? new Verdict(PolicyEnum.ALLOW, this) : null;
			}
		};
	}

	/** A conditional delete before its search runs: allowed when the type may be deleted. */
	private static IAuthRule conditionalDeleteAtTheDoor(SmartScopes scopes) {
		return new DoorRule("conditional delete") {
			@Override
			Verdict decide(RestOperationTypeEnum operation, RequestDetails request, IIdType inputId) {
				if (operation != RestOperationTypeEnum.DELETE || inputId == null || inputId.hasIdPart()) {
					return null;
				}
				String type = inputId.hasResourceType() ? inputId.getResourceType() : request.getResourceName();
				boolean allowed = type != null && !SmartScopes.PROTECTED_TYPES.contains(type) && scopes.permits(type, 'd');
				return new Verdict(allowed ? PolicyEnum.ALLOW : PolicyEnum.DENY, this);
			}
		};
	}

	/**
	 * A rule that only speaks before the request runs (SERVER_INCOMING_REQUEST_PRE_HANDLED, no resource
	 * going out); everything later (storage hooks, outgoing resources) falls through to the rule builder's.
	 */
	private abstract static class DoorRule implements IAuthRule {
		private final String name;

		DoorRule(String name) {
			this.name = name;
		}

		abstract Verdict decide(RestOperationTypeEnum operation, RequestDetails request, IIdType inputId);

		@Override
		public Verdict applyRule(RestOperationTypeEnum operation, RequestDetails request, IBaseResource inputResource,
				IIdType inputId, IBaseResource outputResource, IRuleApplier applier, Set<AuthorizationFlagsEnum> flags,
				Pointcut pointcut) {
			if (pointcut != Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED || outputResource != null) {
				return null;
			}
			return decide(operation, request, inputId);
		}

		@Override
		public String getName() {
			return name;
		}
	}

	/** Every type the scopes allow reading ({@code r}): through the wildcard, all but the protected ones. */
	private static Set<String> readableTypes(SmartScopes scopes) {
		Set<String> types = new TreeSet<>(scopes.typesPermitting('r'));
		if (scopes.wildcardPermits('r')) {
			for (String type : FhirContext.forR4Cached().getResourceTypes()) {
				if (scopes.permits(type, 'r')) {
					types.add(type);
				}
			}
		}
		return types;
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
