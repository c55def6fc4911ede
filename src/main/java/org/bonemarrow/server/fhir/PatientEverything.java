package org.bonemarrow.server.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.interceptor.model.RequestPartitionId;
import ca.uhn.fhir.jpa.entity.Search;
import ca.uhn.fhir.jpa.entity.SearchTypeEnum;
import ca.uhn.fhir.jpa.search.cache.ISearchCacheSvc;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.QualifiedParamList;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.IPreResourceAccessDetails;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.param.DateRangeParam;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.ForbiddenOperationException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.bonemarrow.server.security.CallerIdentity;
import org.bonemarrow.server.security.SmartScopes;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.InstantType;
import org.springframework.stereotype.Component;

/**
 * {@code Patient/<id>/$everything} (and the type-level {@code Patient/$everything}) as FHIR R4 defines it
 * (https://hl7.org/fhir/R4/patient-operation-everything.html), on HAPI's JPA implementation, with what
 * HAPI leaves out:
 * <ul>
 *   <li>{@code _since} (an instant: only resources changed since) is the spec's name; HAPI knows
 *       {@code _lastUpdated} and then ignores it for $everything (hapifhir/hapi-fhir#8039: a future
 *       {@code _since} returned the whole record). {@code _since=T} is taken as {@code _lastUpdated=geT},
 *       and either is applied here to every resource of the answer (the Patient too, the spec's "resources
 *       updated after"); both together are 400;</li>
 *   <li>what a caller gets is what its SMART scopes let it read. HAPI's AuthorizationInterceptor checks
 *       every resource of the answer and refuses the whole answer when one is not readable, and a
 *       patient's record always holds such resources: the AuditEvents our audit trail writes about the
 *       patient (they reference it, so HAPI counts them in), and for a client with named scopes, whatever
 *       it has no scope for. The spec lets the server leave out what the user may not see, so:
 *       <ul>
 *         <li>at the door, a caller that does not read every type and names no {@code _type} gets
 *             {@code _type} = the types it may read ({@code r} or {@code s}): the unreadable ones are not
 *             even searched (a patient gains an AuditEvent with every access: pages of them would otherwise
 *             be fetched and dropped). A caller that names a {@code _type} it may not read is refused (403),
 *             as for {@code _include};</li>
 *         <li>HAPI adds the resources those resources reference (practitioners, an order's reason
 *             Condition, ...), whatever their type: one the caller may not read is left out.</li>
 *       </ul></li>
 * </ul>
 * Both filters act where HAPI's search task asks (STORAGE_PREACCESS_RESOURCES) before it stores the
 * result list, so a resource left out is on no page and in no total. A long record is found in passes, a
 * later pass on a page request ({@code _getpages}): a page of an $everything search is filtered the same
 * way, from the stored search and the caller's scopes. The page links themselves belong to the client they
 * were issued to ({@link SearchPageOwners}), like any search's; the self link shows the request as sent.
 */
@Component
public class PatientEverything implements FhirServerCustomizer {

	static final String OPERATION = "$everything";
	static final String SINCE = "_since";
	/** Request user data: which resources the answer may hold. */
	private static final String FILTER = PatientEverything.class.getName() + ".filter";
	/** Request user data: the parameters as sent, for the links of the answer. */
	private static final String AS_SENT = PatientEverything.class.getName() + ".sent";

	/** Resources the answer may hold: of a type the reader may read (null: any), changed within the range. */
	record Filter(SmartScopes reader, Date from, Date to) {
		boolean keeps(IBaseResource resource, String type) {
			if (reader != null && !reader.permitsAny(type, "rs")) {
				return false;
			}
			Date changed = resource.getMeta().getLastUpdated();
			return changed == null
					|| ((from == null || !changed.before(from)) && (to == null || !changed.after(to)));
		}
	}

	private final FhirContext ctx;
	private final ISearchCacheSvc searches;
	private final Set<String> allTypes;

	public PatientEverything(FhirContext ctx, ISearchCacheSvc searches) {
		this.ctx = ctx;
		this.searches = searches;
		this.allTypes = new TreeSet<>(ctx.getResourceTypes());
	}

	@Override
	public void customize(RestfulServer server) {
		server.registerInterceptor(this);
	}

	/*
	 * After HAPI has routed the request and before it binds the operation's parameters (which is before
	 * SERVER_INCOMING_REQUEST_PRE_HANDLED): a change to the parameters here is what the operation reads.
	 */
	@Hook(Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED)
	public void atTheDoor(RequestDetails request) {
		boolean everything = isEverything(request);
		if (!everything && request.getRestOperationType() != RestOperationTypeEnum.GET_PAGE) {
			return; // every other request passes here too: nothing to work out for it
		}
		Optional<SmartScopes> partialReader = caller(request).map(CallerIdentity::scopes).filter(s -> !readsEverything(s));
		if (everything) {
			OperationParameters given = OperationParameters.of(request, ctx);
			Map<String, String[]> params = new HashMap<>(request.getParameters());
			List<String> changed = since(params, given);
			caller(request).ifPresent(who -> narrowTypes(params, given, who));
			request.getUserData().put(AS_SENT, new HashMap<>(request.getParameters()));
			request.setParameters(params);
			remember(request, partialReader.orElse(null), range(changed));
		} else {
			everythingSearch(request).ifPresent(search -> remember(request, partialReader.orElse(null),
					search.getSearchParameterMap().map(SearchParameterMap::getLastUpdated).orElse(null)));
		}
	}

	/* The operation has its parameters: its links show what the client sent. */
	@Hook(Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED)
	public void linksAsSent(RequestDetails request) {
		@SuppressWarnings("unchecked")
		Map<String, String[]> sent = (Map<String, String[]>) request.getUserData().remove(AS_SENT);
		if (sent != null) {
			request.setParameters(new HashMap<>(sent));
		}
	}

	@Hook(Pointcut.STORAGE_PREACCESS_RESOURCES)
	public void leaveOut(RequestDetails request, IPreResourceAccessDetails details) {
		if (request == null || !(request.getUserData().get(FILTER) instanceof Filter filter)) {
			return;
		}
		for (int i = 0; i < details.size(); i++) {
			IBaseResource resource = details.getResource(i);
			if (resource != null && !filter.keeps(resource, ctx.getResourceType(resource))) {
				details.setDontReturnResourceAtIndex(i);
			}
		}
	}

	static boolean isEverything(RequestDetails request) {
		RestOperationTypeEnum operation = request.getRestOperationType();
		return OPERATION.equals(request.getOperation()) && "Patient".equals(request.getResourceName())
				&& (operation == RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE
						|| operation == RestOperationTypeEnum.EXTENDED_OPERATION_TYPE);
	}

	private static void remember(RequestDetails request, SmartScopes partialReader, DateRangeParam changed) {
		Date from = changed == null ? null : changed.getLowerBoundAsInstant();
		Date to = changed == null ? null : changed.getUpperBoundAsInstant();
		if (partialReader != null || from != null || to != null) {
			request.getUserData().put(FILTER, new Filter(partialReader, from, to));
		}
	}

	/** {@code _since} becomes {@code _lastUpdated=ge...}; returns the {@code _lastUpdated} values. */
	private List<String> since(Map<String, String[]> params, OperationParameters given) {
		List<String> since = given.values(SINCE);
		List<String> lastUpdated = given.values(Constants.PARAM_LASTUPDATED);
		if (since.isEmpty()) {
			return lastUpdated;
		}
		if (since.size() > 1 || !lastUpdated.isEmpty()) {
			throw new InvalidRequestException("$everything: give _since once, and not together with _lastUpdated");
		}
		// A '+' of a time zone offset arrives as a space when the client did not escape it.
		String value = since.get(0).trim().replace(' ', '+');
		try {
			new InstantType(value);
		} catch (DataFormatException | IllegalArgumentException e) {
			throw new InvalidRequestException("$everything: _since must be an instant, e.g. 2026-01-31T08:00:00Z");
		}
		params.remove(SINCE);
		params.put(Constants.PARAM_LASTUPDATED, new String[] {"ge" + value});
		return List.of("ge" + value);
	}

	private DateRangeParam range(List<String> lastUpdated) {
		if (lastUpdated.isEmpty()) {
			return null;
		}
		DateRangeParam range = new DateRangeParam();
		List<QualifiedParamList> values = new ArrayList<>();
		lastUpdated.forEach(v -> values.add(QualifiedParamList.singleton(v)));
		range.setValuesAsQueryTokens(ctx, Constants.PARAM_LASTUPDATED, values);
		return range;
	}

	private void narrowTypes(Map<String, String[]> params, OperationParameters given, CallerIdentity who) {
		SmartScopes scopes = who.scopes();
		List<String> asked = new ArrayList<>();
		for (String value : given.values(Constants.PARAM_TYPE)) {
			for (String type : value.split(",")) {
				if (!type.isBlank()) {
					asked.add(type.trim());
				}
			}
		}
		for (String type : asked) {
			if (allTypes.contains(type) && !scopes.permitsAny(type, "rs")) {
				throw new ForbiddenOperationException("Access denied: client '" + who.clientId()
						+ "' has no SMART scope to read " + type + ", which this request reaches through"
						+ " $everything (_type). Granted: " + scopes);
			}
		}
		if (asked.isEmpty() && !readsEverything(scopes)) {
			List<String> readable = allTypes.stream().filter(type -> scopes.permitsAny(type, "rs")).toList();
			params.put(Constants.PARAM_TYPE, new String[] {String.join(",", readable)});
		}
	}

	private boolean readsEverything(SmartScopes scopes) {
		return allTypes.stream().allMatch(type -> scopes.permitsAny(type, "rs"));
	}

	private Optional<Search> everythingSearch(RequestDetails request) {
		String[] id = request.getParameters().get(Constants.PARAM_PAGINGACTION);
		if (id == null || id.length == 0 || id[0].isBlank()) {
			return Optional.empty();
		}
		return searches.fetchByUuid(id[0], RequestPartitionId.allPartitions())
				.filter(search -> search.getSearchType() == SearchTypeEnum.EVERYTHING);
	}

	private static Optional<CallerIdentity> caller(RequestDetails request) {
		return request instanceof ServletRequestDetails servlet
				? CallerIdentity.of(servlet.getServletRequest())
				: Optional.empty();
	}
}
