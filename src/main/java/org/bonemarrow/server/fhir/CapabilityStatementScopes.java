package org.bonemarrow.server.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.auth.AuthorizationInterceptor;
import ca.uhn.fhir.rest.server.interceptor.auth.IAuthRule;
import ca.uhn.fhir.rest.server.interceptor.auth.PolicyEnum;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bonemarrow.server.security.ClientRoles;
import org.bonemarrow.server.security.SmartScopeRules;
import org.bonemarrow.server.security.SmartScopes;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.ConditionalDeleteStatus;
import org.hl7.fhir.r4.model.CapabilityStatement.SystemRestfulInteraction;
import org.hl7.fhir.r4.model.CapabilityStatement.TypeRestfulInteraction;
import org.hl7.fhir.r4.model.IdType;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.stereotype.Component;

/**
 * A CapabilityStatement that tells the truth: {@code /fhir/metadata} lists only the interactions, operations and
 * search parameters that some configured role ({@code bonemarrow.security.roles}) can use. HAPI's generated
 * statement lists everything its providers implement ({@code delete} on every type, {@code $expunge},
 * {@code $merge}, {@code $reindex}...), and conformance tools and generated clients trust it.
 *
 * <p>Truth by construction, not by a second list: each interaction is put, at the door, to the very rules that
 * decide real requests ({@link SmartScopeRules}, as {@link SmartScopeAuthorizationInterceptor} builds them),
 * once per role; what no role passes is removed. Writes are asked at the storage pointcut where HAPI decides
 * them. Per-request checks made elsewhere (the types a search reaches, $validate modes) only narrow further and
 * are not listed. With an external identity provider the roles are still what the server knows of its clients.
 */
@Component
@Interceptor
@ConditionalOnProperty(name = "bonemarrow.security.enabled", havingValue = "true", matchIfMissing = true)
public class CapabilityStatementScopes implements FhirServerCustomizer {

	private final List<SmartScopes> roles;
	private final boolean multipleDelete;
	private final Map<String, Boolean> verdicts = new ConcurrentHashMap<>();

	public CapabilityStatementScopes(ClientRoles roles, JpaStorageSettings storage) {
		this.roles = roles.all().values().stream().map(SmartScopes::parse).toList();
		this.multipleDelete = storage.isAllowMultipleDelete();
	}

	@Override
	public void customize(RestfulServer server) {
		server.registerInterceptor(this);
	}

	@Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
	public void keepOnlyWhatSomeRoleMayUse(IBaseConformance statement, RequestDetails request) {
		if (!(statement instanceof CapabilityStatement capabilities) || !(request.getServer() instanceof RestfulServer server)) {
			return;
		}
		Probe probe = new Probe(server);
		for (CapabilityStatementRestComponent rest : capabilities.getRest()) {
			rest.getResource().removeIf(resource -> !narrow(resource, probe));
			rest.getInteraction().removeIf(i -> !probe.allowsSystem(i.getCode()));
			// HAPI's statement omits batch, which its system endpoint processes like a transaction, entry by entry.
			if (rest.getInteraction().stream().noneMatch(i -> i.getCode() == SystemRestfulInteraction.BATCH)
					&& probe.allowsSystem(SystemRestfulInteraction.BATCH)) {
				rest.addInteraction().setCode(SystemRestfulInteraction.BATCH);
			}
			rest.getOperation().removeIf(o -> !probe.allowsOperation(null, o.getName()));
		}
	}

	/** Narrows one resource entry to what some role may do; false when nothing is left. */
	private boolean narrow(CapabilityStatementRestResourceComponent resource, Probe probe) {
		String type = resource.getType();
		resource.getInteraction().removeIf(i -> !probe.allowsType(type, i.getCode()));
		boolean search = resource.getInteraction().stream().anyMatch(i -> i.getCode() == TypeRestfulInteraction.SEARCHTYPE);
		if (!search) {
			resource.getSearchParam().clear();
			resource.getSearchInclude().clear();
			resource.getSearchRevInclude().clear();
		}
		resource.setConditionalCreate(resource.getConditionalCreate() && probe.allowsType(type, TypeRestfulInteraction.CREATE));
		resource.setConditionalUpdate(resource.getConditionalUpdate() && probe.allowsType(type, TypeRestfulInteraction.UPDATE));
		if (resource.hasConditionalDelete() && !probe.allowsType(type, TypeRestfulInteraction.DELETE)) {
			resource.setConditionalDelete(ConditionalDeleteStatus.NOTSUPPORTED);
		} else if (resource.getConditionalDelete() == ConditionalDeleteStatus.MULTIPLE && !multipleDelete) {
			// HAPI says multiple whatever the storage setting; with it off a match of several is refused (412).
			resource.setConditionalDelete(ConditionalDeleteStatus.SINGLE);
		}
		resource.getOperation().removeIf(o -> !probe.allowsOperation(type, o.getName()));
		return !resource.getInteraction().isEmpty() || !resource.getOperation().isEmpty();
	}

	/** Puts one request shape to every role's rules; remembers the answer (roles change only with a restart). */
	private final class Probe {
		private final RestfulServer server;
		private final FhirContext ctx;

		Probe(RestfulServer server) {
			this.server = server;
			this.ctx = server.getFhirContext();
		}

		boolean allowsType(String type, TypeRestfulInteraction interaction) {
			return switch (interaction) {
				case READ -> any(RestOperationTypeEnum.READ, type, null, true, Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED);
				case VREAD -> any(RestOperationTypeEnum.VREAD, type, null, true, Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED);
				case HISTORYINSTANCE -> any(RestOperationTypeEnum.HISTORY_INSTANCE, type, null, true, Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED);
				case HISTORYTYPE -> any(RestOperationTypeEnum.HISTORY_TYPE, type, null, false, Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED);
				case SEARCHTYPE -> any(RestOperationTypeEnum.SEARCH_TYPE, type, null, false, Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED);
				case PATCH -> any(RestOperationTypeEnum.PATCH, type, null, true, Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
						&& any(RestOperationTypeEnum.PATCH, type, null, true, Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED);
				// HAPI decides writes where the resource is stored, with the resource in hand.
				case CREATE -> any(RestOperationTypeEnum.CREATE, type, null, false, Pointcut.STORAGE_PRESTORAGE_RESOURCE_CREATED);
				case UPDATE -> any(RestOperationTypeEnum.UPDATE, type, null, true, Pointcut.STORAGE_PRESTORAGE_RESOURCE_UPDATED);
				case DELETE -> any(RestOperationTypeEnum.DELETE, type, null, true, Pointcut.STORAGE_PRESTORAGE_RESOURCE_DELETED);
				default -> false;
			};
		}

		boolean allowsSystem(SystemRestfulInteraction interaction) {
			return switch (interaction) {
				// HAPI lets a transaction or batch in by its Bundle, then checks each entry as its own request.
				case TRANSACTION -> any(RestOperationTypeEnum.TRANSACTION, "Bundle:transaction", null, false, Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED);
				case BATCH -> any(RestOperationTypeEnum.TRANSACTION, "Bundle:batch", null, false, Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED);
				// Across all types: the page may hold an AuditEvent, and one resource the caller may not read
				// refuses the whole response, so only a role reading every type, the protected ones too, can use it.
				case SEARCHSYSTEM -> readsEverything('s')
						&& any(RestOperationTypeEnum.SEARCH_SYSTEM, null, null, false, Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED);
				case HISTORYSYSTEM -> readsEverything('r')
						&& any(RestOperationTypeEnum.HISTORY_SYSTEM, null, null, false, Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED);
				default -> false;
			};
		}

		private boolean readsEverything(char interaction) {
			return roles.stream().anyMatch(scopes -> scopes.wildcardPermits(interaction)
					&& SmartScopes.PROTECTED_TYPES.stream().allMatch(type -> scopes.permits(type, interaction)));
		}

		/** An operation some role may call on the server (type null), or on the type or one of its instances. */
		boolean allowsOperation(String type, String name) {
			String operation = name.startsWith("$") ? name : "$" + name;
			if (type == null) {
				return any(RestOperationTypeEnum.EXTENDED_OPERATION_SERVER, null, operation, false, Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED);
			}
			return any(RestOperationTypeEnum.EXTENDED_OPERATION_TYPE, type, operation, false, Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
					|| any(RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE, type, operation, true, Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED);
		}

		private boolean any(RestOperationTypeEnum operation, String type, String operationName, boolean instance, Pointcut pointcut) {
			String key = operation + "|" + type + "|" + operationName + "|" + instance + "|" + pointcut;
			return verdicts.computeIfAbsent(key, k -> roles.stream()
					.anyMatch(scopes -> allows(scopes, operation, type, operationName, instance, pointcut)));
		}

		private boolean allows(SmartScopes scopes, RestOperationTypeEnum operation, String type, String operationName,
				boolean instance, Pointcut pointcut) {
			if (operation == RestOperationTypeEnum.TRANSACTION) {
				Bundle bundle = new Bundle().setType(type.endsWith("batch") ? Bundle.BundleType.BATCH : Bundle.BundleType.TRANSACTION);
				return decide(scopes, operation, null, null, bundle, null, pointcut);
			}
			IIdType id = instance && type != null ? new IdType(type, "capability-probe") : null;
			IBaseResource resource = null;
			if (type != null && pointcut != Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED) {
				resource = ctx.getResourceDefinition(type).newInstance();
				if (id != null) {
					resource.setId(id);
				}
			}
			return decide(scopes, operation, type, operationName, resource, id, pointcut);
		}

		private boolean decide(SmartScopes scopes, RestOperationTypeEnum operation, String type, String operationName,
				IBaseResource resource, IIdType id, Pointcut pointcut) {
			SystemRequestDetails request = new SystemRequestDetails();
			request.setServer(server);
			request.setFhirContext(ctx);
			request.setRestOperationType(operation);
			request.setResourceName(type);
			request.setOperation(operationName);
			request.setId(id);
			List<IAuthRule> rules = SmartScopeRules.forRequest(scopes, operation, type);
			AuthorizationInterceptor decider = new AuthorizationInterceptor(PolicyEnum.DENY) {
				@Override
				public List<IAuthRule> buildRuleList(RequestDetails ignored) {
					return rules;
				}
			};
			AuthorizationInterceptor.Verdict verdict = decider.applyRulesAndReturnDecision(
					operation, request, resource, id, null, pointcut);
			return verdict.getDecision() == PolicyEnum.ALLOW;
		}
	}
}
