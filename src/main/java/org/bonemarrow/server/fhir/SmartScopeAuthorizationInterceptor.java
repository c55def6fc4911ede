package org.bonemarrow.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Pointcut;
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
import org.bonemarrow.server.config.FhirServerCustomizer;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.bonemarrow.server.security.CallerIdentity;
import org.bonemarrow.server.security.SmartScopeRules;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * HAPI's AuthorizationInterceptor driven by the caller's SMART scopes (see {@link SmartScopeRules}).
 * Registered first among ours so a refused request never reaches validation or the workflow rules.
 * Without a verified caller (only possible on the public paths) nothing but the capability statement is
 * allowed.
 */
@Component
@Order(0)
@ConditionalOnProperty(name = "bonemarrow.security.enabled", havingValue = "true", matchIfMissing = true)
public class SmartScopeAuthorizationInterceptor extends AuthorizationInterceptor implements FhirServerCustomizer {

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

	/*
	 * The workflow adapter writes inside the client's request (a new order makes a Procedure and a Task; a
	 * report moves the order and the Task). Those writes are the server's, not the client's, so the
	 * client's scopes do not apply to them; they are audited with the rule as agent.
	 */
	@Override
	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED)
	public void hookResourcePreCreate(RequestDetails request, IBaseResource resource, Pointcut pointcut) {
		if (!AdapterWriter.isAdapterWrite()) {
			super.hookResourcePreCreate(request, resource, pointcut);
		}
	}

	@Override
	@Hook(Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED)
	public void hookResourcePreUpdate(RequestDetails request, IBaseResource previous, IBaseResource resource,
			Pointcut pointcut) {
		if (!AdapterWriter.isAdapterWrite()) {
			super.hookResourcePreUpdate(request, previous, resource, pointcut);
		}
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
