package org.bonemarrow.server.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.RuntimeSearchParam;
import ca.uhn.fhir.model.api.Include;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.RestSearchParameterTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry.SearchParamLookupContextEnum;
import ca.uhn.fhir.util.FhirTerser;
import ca.uhn.fhir.util.ParametersUtil;
import ca.uhn.fhir.util.UrlUtil;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.bonemarrow.server.security.SmartScopes;
import org.hl7.fhir.instance.model.api.IBaseParameters;
import org.hl7.fhir.instance.model.api.IBaseReference;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DomainResource;
import org.hl7.fhir.r4.model.Resource;
import org.springframework.stereotype.Component;

/**
 * Finds every resource type a request would touch besides the one in its URL, and whether the caller's
 * SMART scopes reach it, before HAPI runs anything. HAPI's AuthorizationInterceptor checks the URL's
 * type and the resources it returns, but a search also reads the types its parameters lead to: a
 * {@code _has:Condition:subject:code} filter tells which patients have a diagnosis without returning
 * one Condition, {@code AuditEvent?patient.family=} tells an auditor patient names, a
 * {@code _revinclude} of an unreadable type was refused only when something matched (a yes/no answer),
 * and an inline conditional reference ({@code "Condition?code=...&subject=..."}) makes HAPI resolve and
 * store the id of a resource the writer may not see. So:
 * <ul>
 *   <li>a type reached through {@code _has}, a chain ({@code subject:Patient.name}, {@code patient.family}),
 *       a chained {@code _sort} or {@code _list} needs the search scope {@code s} of that type. An untyped
 *       chain reaches every target type of its reference parameter (HAPI's search parameter registry;
 *       a reference to any type reaches every type): all of them must be searchable, else the caller
 *       names the type ({@code subject:Patient.identifier});</li>
 *   <li>a type named by {@code _include}, {@code _revinclude} (also {@code :iterate}) must be readable
 *       ({@code r} or {@code s}, as for any resource shown). A wildcard ({@code _include=*},
 *       {@code Observation:*}, {@code _revinclude=*}) is judged by every type it can reach: the targets of
 *       the type's reference parameters, every type when iterating or for {@code _revinclude=*}. Since some
 *       references may point at any type, including AuditEvent, a wildcard is in practice only for
 *       clients that may read everything; the others name their includes;</li>
 *   <li>a match URL (If-None-Exist, conditional update/patch/delete, a transaction entry's URL or
 *       If-None-Exist, an inline conditional reference in a body) is a search of its type: it needs
 *       {@code s} on that type and the same checks for its parameters;</li>
 *   <li>a contained resource in a body is a write of its type: it needs {@code c} on that type;</li>
 *   <li>a system search needs {@code s} on each type of {@code _type} (every type without it).</li>
 * </ul>
 * Refusals name the type and the parameter (never a value: values can be patient data).
 */
@Component
public class SearchScopeGuard {

	/** Deeper chains are refused outright; HAPI itself does not search deeper than a few links. */
	static final int MAX_CHAIN_DEPTH = 4;

	/** What the caller lacks: the interaction ("search", "read", "create", "delete") on a type, and where. */
	public record Refusal(String type, String interaction, String via) {
		public String describe() {
			return "has no SMART scope to " + interaction + " " + type + ", which this request reaches through " + via;
		}
	}

	private final FhirContext ctx;
	private final ISearchParamRegistry registry;
	private final Set<String> allTypes;

	public SearchScopeGuard(FhirContext ctx, ISearchParamRegistry registry) {
		this.ctx = ctx;
		this.registry = registry;
		this.allTypes = new TreeSet<>(ctx.getResourceTypes());
	}

	/** The first type this request touches outside the scopes, judged before anything runs. */
	public Optional<Refusal> check(RequestDetails request, SmartScopes scopes) {
		RestOperationTypeEnum operation = request.getRestOperationType();
		if (operation == null) {
			return Optional.empty();
		}
		String type = request.getResourceName();
		Map<String, String[]> params = request.getParameters();
		return switch (operation) {
			case SEARCH_TYPE -> query(type, params, scopes);
			case SEARCH_SYSTEM -> systemSearch(params, scopes);
			// A page request may carry _include, which HAPI applies to the page.
			case GET_PAGE -> query(null, params, scopes);
			case CREATE -> first(
					matchUrl(type, request.getConditionalUrl(RestOperationTypeEnum.CREATE), "If-None-Exist", scopes),
					body(request.getResource(), scopes));
			case UPDATE, PATCH, DELETE -> first(
					matchUrl(type, request.getConditionalUrl(operation), "the conditional match URL", scopes),
					body(request.getResource(), scopes));
			case TRANSACTION -> request.getResource() instanceof Bundle bundle
					? bundle(bundle, scopes)
					: Optional.empty();
			default -> Optional.empty();
		};
	}

	/**
	 * The checks that also hold for a resource about to be stored (PATCH results, transaction entries):
	 * inline conditional references and contained resources.
	 */
	public Optional<Refusal> body(IBaseResource resource, SmartScopes scopes) {
		if (resource == null) {
			return Optional.empty();
		}
		if (resource instanceof Bundle bundle
				&& (bundle.getType() == Bundle.BundleType.TRANSACTION || bundle.getType() == Bundle.BundleType.BATCH)) {
			return bundle(bundle, scopes);
		}
		if (resource instanceof IBaseParameters) {
			// Operation parameters ($validate and the like) are not stored.
			return Optional.empty();
		}
		FhirTerser terser = ctx.newTerser();
		for (IBaseReference ref : terser.getAllPopulatedChildElementsOfType(resource, IBaseReference.class)) {
			String value = ref.getReferenceElement().getValue();
			if (value != null && value.indexOf('?') >= 0) {
				Optional<Refusal> refusal = matchUrl(null, value, "a conditional reference", scopes);
				if (refusal.isPresent()) {
					return refusal;
				}
			}
		}
		if (resource instanceof DomainResource domain) {
			for (Resource contained : domain.getContained()) {
				if (!scopes.permits(contained.fhirType(), 'c')) {
					return Optional.of(new Refusal(contained.fhirType(), "create", "a contained resource"));
				}
			}
		}
		return Optional.empty();
	}

	private Optional<Refusal> bundle(Bundle bundle, SmartScopes scopes) {
		for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
			Bundle.BundleEntryRequestComponent request = entry.getRequest();
			String url = request.getUrl();
			String entryType = entry.getResource() == null ? null : entry.getResource().fhirType();
			if (url != null && url.contains(Constants.PARAM_PAGINGACTION)) {
				// Page links are followed directly, where their owner is checked.
				return Optional.of(new Refusal("pages", "follow", "a page link inside a batch or transaction"));
			}
			if (url != null && !url.isBlank()) {
				UrlUtil.UrlParts parts;
				try {
					parts = UrlUtil.parseUrl(url);
				} catch (InvalidRequestException malformed) {
					continue; // HAPI refuses it with 400
				}
				Map<String, String[]> params = parts.getParams() == null
						? Map.of()
						: UrlUtil.parseQueryString(parts.getParams());
				String urlType = isType(parts.getResourceType()) ? parts.getResourceType() : null;
				entryType = urlType != null ? urlType : entryType;
				if (parts.getParams() != null && parts.getResourceId() == null && urlType != null) {
					Optional<Refusal> refusal = request.getMethod() == Bundle.HTTPVerb.GET
							? first(refusalFor(urlType, 's', "search", "a search entry", scopes), query(urlType, params, scopes))
							: matchUrl(urlType, urlType + "?" + parts.getParams(), "the conditional match URL of an entry",
									scopes);
					if (refusal.isPresent()) {
						return refusal;
					}
				} else if (request.getMethod() == Bundle.HTTPVerb.GET && urlType == null && parts.getParams() != null) {
					Optional<Refusal> refusal = systemSearch(params, scopes);
					if (refusal.isPresent()) {
						return refusal;
					}
				}
			}
			if (request.hasIfNoneExist()) {
				Optional<Refusal> refusal = matchUrl(entryType, request.getIfNoneExist(), "If-None-Exist of an entry", scopes);
				if (refusal.isPresent()) {
					return refusal;
				}
			}
			if (entry.getResource() != null) {
				Optional<Refusal> refusal = body(entry.getResource(), scopes);
				if (refusal.isPresent()) {
					return refusal;
				}
			}
		}
		return Optional.empty();
	}

	private Optional<Refusal> systemSearch(Map<String, String[]> params, SmartScopes scopes) {
		Set<String> types = new TreeSet<>();
		String[] typeParam = params.get(Constants.PARAM_TYPE);
		if (typeParam == null) {
			types.addAll(allTypes);
		} else {
			for (String value : typeParam) {
				for (String t : value.split(",")) {
					if (isType(t.trim())) {
						types.add(t.trim());
					}
				}
			}
		}
		for (String t : types) {
			if (!scopes.permits(t, 's')) {
				return Optional.of(new Refusal(t, "search", "a system-level search"
						+ (typeParam == null ? " without _type" : " (_type)")));
			}
		}
		for (String t : types) {
			Optional<Refusal> refusal = query(t, params, scopes);
			if (refusal.isPresent()) {
				return refusal;
			}
		}
		return Optional.empty();
	}

	/** The parameters of a search of {@code type} (null: unknown, as for a page request). */
	Optional<Refusal> query(String type, Map<String, String[]> params, SmartScopes scopes) {
		for (Map.Entry<String, String[]> param : params.entrySet()) {
			String key = param.getKey();
			String[] values = param.getValue() == null ? new String[0] : param.getValue();
			Optional<Refusal> refusal;
			if (key.startsWith(Constants.PARAM_INCLUDE) || key.startsWith(Constants.PARAM_REVINCLUDE)) {
				refusal = includes(type, key, values, scopes);
			} else if (key.equals(Constants.PARAM_SORT)) {
				refusal = Optional.empty();
				for (String value : values) {
					for (String sort : value.split(",")) {
						String name = sort.trim().startsWith("-") ? sort.trim().substring(1) : sort.trim();
						refusal = first(refusal, chain(type, name, "_sort", scopes, 0, new HashSet<>()));
					}
				}
			} else if (key.equals(Constants.PARAM_LIST)) {
				refusal = refusalFor("List", 's', "search", "_list", scopes);
			} else {
				refusal = type == null ? Optional.empty() : chain(type, key, key, scopes, 0, new HashSet<>());
			}
			if (refusal.isPresent()) {
				return refusal;
			}
		}
		return Optional.empty();
	}

	/**
	 * {@code key} is a parameter name of a search of {@code type}, with its modifiers: {@code code},
	 * {@code subject:Patient}, {@code subject.name}, {@code entity:Patient.identifier},
	 * {@code _has:Condition:subject:code}, nested as deep as the client likes.
	 */
	private Optional<Refusal> chain(String type, String key, String via, SmartScopes scopes, int depth,
			Set<String> seen) {
		if (!seen.add(type + "|" + key)) {
			return Optional.empty();
		}
		if (depth > MAX_CHAIN_DEPTH) {
			throw new InvalidRequestException("Chains and _has deeper than " + MAX_CHAIN_DEPTH
					+ " links are not supported (parameter '" + shorten(via) + "')");
		}
		if (key.startsWith(Constants.PARAM_HAS + ":")) {
			String[] parts = key.split(":", 4); // _has, type, reference parameter, what is searched there
			if (parts.length < 2 || !isType(parts[1])) {
				return Optional.empty(); // HAPI refuses the malformed parameter with 400
			}
			Optional<Refusal> refusal = refusalFor(parts[1], 's', "search", viaParam(via), scopes);
			if (refusal.isPresent() || parts.length < 4) {
				return refusal;
			}
			return chain(parts[1], parts[3], via, scopes, depth + 1, seen);
		}
		int dot = key.indexOf('.');
		if (dot < 0) {
			return Optional.empty();
		}
		String head = key.substring(0, dot);
		String tail = key.substring(dot + 1);
		int colon = head.indexOf(':');
		String name = colon < 0 ? head : head.substring(0, colon);
		String modifier = colon < 0 ? null : head.substring(colon + 1);
		Set<String> targets = modifier != null && isType(modifier)
				? Set.of(modifier)
				: referenceTargets(type, name);
		for (String target : targets) {
			Optional<Refusal> refusal = refusalFor(target, 's', "search", viaParam(via)
					+ (modifier == null && targets.size() > 1 ? " (an untyped chain reaches every type its reference"
							+ " may point at; name one, e.g. " + name + ":" + targets.iterator().next() + ".)" : ""),
					scopes);
			if (refusal.isPresent()) {
				return refusal;
			}
		}
		for (String target : targets) {
			Optional<Refusal> refusal = chain(target, tail, via, scopes, depth + 1, seen);
			if (refusal.isPresent()) {
				return refusal;
			}
		}
		return Optional.empty();
	}

	private Optional<Refusal> includes(String searchType, String key, String[] values, SmartScopes scopes) {
		boolean reverse = key.startsWith(Constants.PARAM_REVINCLUDE);
		boolean iterate = key.endsWith(Constants.PARAM_INCLUDE_QUALIFIER_ITERATE)
				|| key.endsWith(Constants.PARAM_INCLUDE_QUALIFIER_RECURSE);
		for (String value : values) {
			for (String one : value.split(",")) {
				String via = key + "=" + shorten(one.trim());
				Include include = new Include(one.trim(), iterate);
				Set<String> shown = new TreeSet<>();
				String source = include.getParamType();
				if (reverse) {
					if (source == null || "*".equals(source)) {
						shown.addAll(allTypes);
					} else {
						shown.add(source);
					}
				} else if (source == null) {
					// _include=* : whatever the matches (or, iterating, anything included) point at
					shown.addAll(iterate || searchType == null ? allTypes : allReferenceTargets(searchType));
				} else {
					shown.add(source);
					if (include.getParamTargetType() != null) {
						shown.add(include.getParamTargetType());
					} else if ("*".equals(include.getParamName())) {
						shown.addAll(allReferenceTargets(source));
					} else {
						shown.addAll(referenceTargets(source, include.getParamName()));
					}
				}
				for (String type : shown) {
					if (isType(type) && !scopes.permitsAny(type, "rs")) {
						return Optional.of(new Refusal(type, "read", via));
					}
				}
			}
		}
		return Optional.empty();
	}

	/**
	 * A conditional URL ({@code Type?params}, or just {@code params} for If-None-Exist) is a search of
	 * its type. Its values are not repeated in a refusal.
	 */
	Optional<Refusal> matchUrl(String defaultType, String url, String via, SmartScopes scopes) {
		if (url == null || url.isBlank()) {
			return Optional.empty();
		}
		int question = url.indexOf('?');
		String type = defaultType;
		String query = url;
		if (question >= 0) {
			String path = url.substring(0, question);
			String last = path.substring(path.lastIndexOf('/') + 1);
			type = last.isEmpty() ? defaultType : last;
			query = url.substring(question + 1);
		} else if (url.indexOf('=') < 0) {
			return Optional.empty(); // not a match URL at all
		}
		if (!isType(type)) {
			return Optional.empty(); // HAPI refuses an unknown type with 400
		}
		return first(refusalFor(type, 's', "search", via, scopes),
				query(type, UrlUtil.parseQueryString(query), scopes));
	}

	/** The {@code mode} of a {@code $validate} call, from the URL or the Parameters body; null if none. */
	public static String validateMode(RequestDetails request, FhirContext ctx) {
		String[] fromUrl = request.getParameters().get("mode");
		if (fromUrl != null && fromUrl.length > 0) {
			return fromUrl[0];
		}
		if (request.getResource() instanceof IBaseParameters parameters) {
			List<String> modes = ParametersUtil.getNamedParameterValuesAsString(ctx, parameters, "mode");
			return modes.isEmpty() ? null : modes.get(0);
		}
		return null;
	}

	private Set<String> referenceTargets(String type, String name) {
		if (type == null) {
			return Set.of();
		}
		RuntimeSearchParam param = registry.getActiveSearchParam(type, name, SearchParamLookupContextEnum.SEARCH);
		if (param == null || param.getParamType() != RestSearchParameterTypeEnum.REFERENCE) {
			return Set.of(); // HAPI refuses an unknown parameter, or a chain on a non-reference, with 400
		}
		return param.getTargets().isEmpty() ? allTypes : new TreeSet<>(param.getTargets());
	}

	private Set<String> allReferenceTargets(String type) {
		Set<String> targets = new TreeSet<>();
		for (String name : registry.getActiveSearchParams(type, SearchParamLookupContextEnum.SEARCH).getSearchParamNames()) {
			targets.addAll(referenceTargets(type, name));
		}
		return targets;
	}

	private boolean isType(String type) {
		return type != null && allTypes.contains(type);
	}

	private static Optional<Refusal> refusalFor(String type, char letter, String interaction, String via,
			SmartScopes scopes) {
		return scopes.permits(type, letter) ? Optional.empty() : Optional.of(new Refusal(type, interaction, via));
	}

	private static String viaParam(String key) {
		return "parameter '" + shorten(key) + "'";
	}

	private static String shorten(String text) {
		return text.length() > 120 ? text.substring(0, 120) + "..." : text;
	}

	@SafeVarargs
	private static Optional<Refusal> first(Optional<Refusal>... checks) {
		for (Optional<Refusal> check : checks) {
			if (check.isPresent()) {
				return check;
			}
		}
		return Optional.empty();
	}
}
