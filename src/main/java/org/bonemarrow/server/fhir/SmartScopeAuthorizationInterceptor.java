package org.bonemarrow.server.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizationInterceptor;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRule;
import ca.uhn.fhir.rest.server.interceptor.auth.RuleBuilder;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.util.List;
import java.util.Optional;
import org.bonemarrow.server.adapter.AdapterWriter;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.bonemarrow.server.security.CallerIdentity;
import org.bonemarrow.server.security.SmartScopeRules;
import org.bonemarrow.server.security.SmartScopes;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * HAPI's AuthorizationInterceptor driven by the caller's SMART scopes (see {@link SmartScopeRules}).
 * Registered first among ours so a refused request never reaches validation or the workflow rules.
 * Without a verified caller (only possible on the public paths) nothing but the capability statement is
 * allowed.
 *
 * <p>Before HAPI's own rules, at the door: every type the request's search parameters, includes, match
 * URLs, conditional references and contained resources reach ({@link SearchScopeGuard}), the owner of a
 * page link ({@link SearchPageOwners}) and the scope a {@code $validate} needs. On the way out, contained
 * resources the caller may not read are removed ({@link ContainedResourceFilter}) before HAPI checks the
 * rest. A refusal is a 403 OperationOutcome that names the type (never a value), audited like every
 * other refusal (FailedInteractionAudit, SERVER_HANDLE_EXCEPTION).
 */
@Component
@Order(0)
@ConditionalOnProperty(name = "bonemarrow.security.enabled", havingValue = "true", matchIfMissing = true)
public class SmartScopeAuthorizationInterceptor extends AuthorizationInterceptor implements FhirServerCustomizer {

	private final FhirContext ctx;
	private final SearchScopeGuard guard;
	private final SearchPageOwners pageOwners;

	public SmartScopeAuthorizationInterceptor(FhirContext ctx, SearchScopeGuard guard, SearchPageOwners pageOwners) {
		this.ctx = ctx;
		this.guard = guard;
		this.pageOwners = pageOwners;
	}

	@Override
	public void customize(RestfulServer server) {
		server.registerInterceptor(this);
	}

	@Override
	public List<IAuthRule> buildRuleList(RequestDetails request) {
		Optional<CallerIdentity> caller = caller(request);
		if (caller.isEmpty()) {
			return new RuleBuilder().allow("capability statement").metadata().andThen()
					.denyAll("no verified caller").build();
		}
		return SmartScopeRules.forRequest(caller.get().scopes(), request.getRestOperationType(), request.getResourceName());
	}

	@Override
	@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
	public void incomingRequestPreHandled(RequestDetails request, Pointcut pointcut) {
		Optional<CallerIdentity> caller = caller(request);
		if (caller.isPresent()) {
			CallerIdentity who = caller.get();
			if (request.getRestOperationType() == RestOperationTypeEnum.GET_PAGE) {
				String[] searchId = request.getParameters().get(Constants.PARAM_PAGINGACTION);
				if (searchId == null || searchId.length == 0 || !pageOwners.owns(searchId[0], who.clientId())) {
					throw refused(who, "may not follow this page link: it was not issued to this client, or has"
							+ " expired. Follow the links of your own searches");
				}
			}
			validateScope(request, who).ifPresent(refusal -> {
				throw refused(who, refusal.describe());
			});
			guard.check(request, who.scopes()).ifPresent(refusal -> {
				throw refused(who, refusal.describe());
			});
		}
		super.incomingRequestPreHandled(request, pointcut);
	}

	/*
	 * $validate reads: mode=delete lists what refers to the resource (and whether it exists), so it needs
	 * the delete scope of the type; any other mode on an existing resource reads it, so it needs the read
	 * scope. A type-level $validate of a body stays with the validate rule of SmartScopeRules.
	 */
	private Optional<SearchScopeGuard.Refusal> validateScope(RequestDetails request, CallerIdentity who) {
		RestOperationTypeEnum operation = request.getRestOperationType();
		if (!"$validate".equals(request.getOperation()) || request.getResourceName() == null
				|| (operation != RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE
						&& operation != RestOperationTypeEnum.EXTENDED_OPERATION_TYPE
						&& operation != RestOperationTypeEnum.VALIDATE)) {
			return Optional.empty();
		}
		String type = request.getResourceName();
		String mode = SearchScopeGuard.validateMode(request, ctx);
		boolean deleting = "delete".equalsIgnoreCase(mode);
		if (deleting && (SmartScopes.PROTECTED_TYPES.contains(type) || !who.scopes().permits(type, 'd'))) {
			return Optional.of(new SearchScopeGuard.Refusal(type, "delete", "$validate with mode=delete"));
		}
		boolean instance = request.getId() != null && request.getId().hasIdPart();
		if ((deleting || instance) && !who.scopes().permits(type, 'r')) {
			return Optional.of(new SearchScopeGuard.Refusal(type, "read", "$validate of an existing resource"));
		}
		return Optional.empty();
	}

	@Override
	@Hook(Pointcut.SERVER_OUTGOING_RESPONSE)
	public void hookOutgoingResponse(RequestDetails request, IBaseResource response, Pointcut pointcut) {
		Optional<CallerIdentity> caller = caller(request);
		// Contained resources of types the caller may not read leave with the rest of what is refused; every
		// response passes here (reads, searches, pages, operations, transaction answers), so once is enough.
		caller.ifPresent(who -> ContainedResourceFilter.strip(response, who.scopes()));
		super.hookOutgoingResponse(request, response, pointcut);
		caller.ifPresent(who -> pageOwners.recordLinks(response, who.clientId()));
	}

	/*
	 * The workflow adapter writes inside the client's request (a new order makes a Procedure and a Task; a
	 * report moves the order and the Task). Those writes are the server's, not the client's, so the
	 * client's scopes do not apply to them; they are audited with the rule as agent.
	 */
	@Override
	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
	public void hookResourcePreCreate(RequestDetails request, IBaseResource resource, Pointcut pointcut) {
		if (!AdapterWriter.isAdapterWrite()) {
			checkStoredBody(request, resource);
			super.hookResourcePreCreate(request, resource, pointcut);
		}
	}

	@Override
	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
	public void hookResourcePreUpdate(RequestDetails request, IBaseResource previous, IBaseResource resource,
			Pointcut pointcut) {
		if (!AdapterWriter.isAdapterWrite()) {
			checkStoredBody(request, resource);
			super.hookResourcePreUpdate(request, previous, resource, pointcut);
		}
	}

	/*
	 * Again at storage: a PATCH can add a contained resource or a conditional reference that no body showed
	 * at the door, and a transaction entry is stored here one by one (before HAPI resolves the reference).
	 */
	private void checkStoredBody(RequestDetails request, IBaseResource resource) {
		caller(request).ifPresent(who -> guard.body(resource, who.scopes()).ifPresent(refusal -> {
			throw refused(who, refusal.describe());
		}));
	}

	private static ForbiddenOperationException refused(CallerIdentity who, String why) {
		return new ForbiddenOperationException("Access denied: client '" + who.clientId() + "' " + why
				+ ". Granted: " + who.scopes());
	}

	@Override
	protected void handleDeny(RequestDetails request, Verdict decision) {
		String client = caller(request).map(CallerIdentity::clientId).orElse("anonymous");
		String what = request.getRestOperationType() == null ? "request" : request.getRestOperationType().getCode();
		throw new ForbiddenOperationException("Access denied: client '" + client + "' has no SMART scope for this "
				+ what + (request.getResourceName() == null ? "" : " on " + request.getResourceName())
				+ " (or for one of its entries or results). Granted: "
				+ caller(request).map(c -> c.scopes().toString()).orElse("none"));
	}

	private static Optional<CallerIdentity> caller(RequestDetails request) {
		return request instanceof ServletRequestDetails servlet
				? CallerIdentity.of(servlet.getServletRequest())
				: Optional.empty();
	}
}
