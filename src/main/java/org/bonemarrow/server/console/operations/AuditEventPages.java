package org.bonemarrow.server.console.operations;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirResourceDao;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.SortOrderEnum;
import ca.uhn.fhir.rest.api.SortSpec;
import ca.uhn.fhir.rest.api.server.IBundleProvider;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.DateParam;
import ca.uhn.fhir.rest.param.DateRangeParam;
import ca.uhn.fhir.rest.param.ParamPrefixEnum;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.AuditEvent;

/**
 * AuditEvent searches through HAPI's DAO, newest first, one page at a time: {@code _offset} and one row more
 * than the page (to know whether a next page exists) instead of a total, which on an audit trail of millions
 * of events would be a count of them all on every page. A system request: the console's own access checks
 * (its URL roles) decide who gets here, not SMART scopes.
 */
final class AuditEventPages {

	private final IFhirResourceDao<AuditEvent> dao;

	AuditEventPages(DaoRegistry daos) {
		this.dao = daos.getResourceDao(AuditEvent.class);
	}

	<T> ResultPage<T> search(SearchParameterMap map, Paging paging, Function<AuditEvent, T> row) {
		map.setSort(new SortSpec("date", SortOrderEnum.DESC));
		map.setOffset(Math.toIntExact(Math.min(paging.offset(), Integer.MAX_VALUE)));
		map.setCount(paging.size() + 1);
		map.setLoadSynchronous(true);
		IBundleProvider found = dao.search(map, new SystemRequestDetails());
		List<IBaseResource> resources = found.getResources(0, paging.size() + 1);
		List<T> rows = new ArrayList<>(Math.min(resources.size(), paging.size()));
		for (int i = 0; i < resources.size() && i < paging.size(); i++) {
			rows.add(row.apply((AuditEvent) resources.get(i)));
		}
		return new ResultPage<>(rows, paging, null, resources.size() > paging.size());
	}

	/** {@code date=ge<from>&date=le<to>}, whole days (HAPI reads a day-precision {@code le} as the day's end). */
	static void dates(SearchParameterMap map, LocalDate from, LocalDate to) {
		if (from == null && to == null) {
			return;
		}
		DateRangeParam range = new DateRangeParam(
				from == null ? null : new DateParam(ParamPrefixEnum.GREATERTHAN_OR_EQUALS, from.toString()),
				to == null ? null : new DateParam(ParamPrefixEnum.LESSTHAN_OR_EQUALS, to.toString()));
		map.add("date", range);
	}
}
