package org.bonemarrow.server.console.turnaround;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import ca.uhn.fhir.rest.api.SortOrderEnum;
import ca.uhn.fhir.rest.api.SortSpec;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import ca.uhn.fhir.rest.param.DateParam;
import ca.uhn.fhir.rest.param.HistorySearchDateRangeParam;
import ca.uhn.fhir.rest.param.ParamPrefixEnum;
import ca.uhn.fhir.rest.param.ReferenceOrListParam;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenOrListParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BinaryOperator;
import org.bonemarrow.server.adapter.ExamOrders;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.BaseDateTimeType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.DiagnosticReport.DiagnosticReportStatus;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Period;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.hl7.fhir.r4.model.Specimen;

/**
 * Builds exam timelines from what is stored, through HAPI's DAOs as the system (the console checks the
 * user's role before it calls this; FHIR scopes are for API clients). Exam orders are ServiceRequests with
 * intent order and an exam code ({@link ExamOrders}); their Specimens name the order in Specimen.request,
 * their DiagnosticReports in DiagnosticReport.basedOn. Orders are read a chunk at a time, newest
 * authoredOn first, and each chunk's specimens, reports and patients with one search each.
 */
public final class ExamTimelineReader {

	/** ServiceRequest.status values of an order still awaiting its exam (R4 request-status). */
	static final List<String> OPEN_STATUSES = List.of("draft", "active", "on-hold", "unknown");

	private final DaoRegistry daos;
	private final ZoneId zone;

	public ExamTimelineReader(DaoRegistry daos, ZoneId zone) {
		this.daos = daos;
		this.zone = zone;
	}

	/**
	 * Which orders: all exam orders, or only those whose status says they are still open; optionally only
	 * those ordered at or after {@code orderedSince} and before {@code orderedBefore}.
	 */
	public record OrderQuery(boolean openStatusOnly, Instant orderedSince, Instant orderedBefore) {
		public static final OrderQuery ALL = new OrderQuery(false, null, null);
		public static final OrderQuery OPEN = new OrderQuery(true, null, null);

		public static OrderQuery between(Instant since, Instant before) {
			return new OrderQuery(false, since, before);
		}
	}

	/** One slice of the exam orders, newest authoredOn first (ties by id, newest first), as timelines. */
	public List<ExamTimeline> timelines(OrderQuery query, int offset, int count) {
		SearchParameterMap map = SearchParameterMap.newSynchronous();
		map.add("intent", new TokenParam("order"));
		TokenOrListParam codes = new TokenOrListParam();
		for (String code : ExamOrders.examCodes()) {
			int bar = code.indexOf('|');
			codes.add(code.substring(0, bar), code.substring(bar + 1));
		}
		map.add("code", codes);
		if (query.openStatusOnly()) {
			TokenOrListParam statuses = new TokenOrListParam();
			OPEN_STATUSES.forEach(statuses::add);
			map.add("status", statuses);
		}
		if (query.orderedSince() != null) {
			map.add("authored", new DateParam(ParamPrefixEnum.GREATERTHAN_OR_EQUALS, Date.from(query.orderedSince())));
		}
		if (query.orderedBefore() != null) {
			map.add("authored", new DateParam(ParamPrefixEnum.LESSTHAN, Date.from(query.orderedBefore())));
		}
		map.setSort(new SortSpec("authored", SortOrderEnum.DESC).setChain(new SortSpec("_id", SortOrderEnum.DESC)));
		map.setOffset(offset);
		map.setCount(count);
		// Without a database-backed paging provider (a system request has none) the DAO takes the offset and
		// count from the request's parameters and overwrites the map's: so they go there too.
		SystemRequestDetails request = system();
		Map<String, String[]> parameters = new HashMap<>();
		parameters.put("_offset", new String[] {Integer.toString(offset)});
		parameters.put("_count", new String[] {Integer.toString(count)});
		request.setParameters(parameters);
		List<ServiceRequest> orders = new ArrayList<>();
		for (IBaseResource r : daos.getResourceDao(ServiceRequest.class).search(map, request).getResources(0, count)) {
			if (r instanceof ServiceRequest order && ExamOrders.isExamOrder(order)) {
				orders.add(order);
			}
		}
		return timelines(orders);
	}

	/** The timeline of one order, if it exists and is an exam order. */
	public Optional<ExamTimeline> timeline(String orderId) {
		IdType id = new IdType(orderId);
		ServiceRequest order;
		try {
			order = daos.getResourceDao(ServiceRequest.class).read(new IdType("ServiceRequest", id.getIdPart()), system());
		} catch (ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException
				| ca.uhn.fhir.rest.server.exceptions.ResourceGoneException e) {
			return Optional.empty();
		}
		return ExamOrders.isExamOrder(order) ? Optional.of(timelines(List.of(order)).get(0)) : Optional.empty();
	}

	/** Timelines of these orders, in their order. */
	public List<ExamTimeline> timelines(List<ServiceRequest> orders) {
		if (orders.isEmpty()) {
			return List.of();
		}
		Map<String, ServiceRequest> byRef = new java.util.LinkedHashMap<>();
		for (ServiceRequest o : orders) {
			byRef.put("ServiceRequest/" + o.getIdElement().getIdPart(), o);
		}
		Map<String, List<Specimen>> specimens = specimens(byRef);
		Map<String, List<DiagnosticReport>> reports = reports(byRef.keySet());
		Map<String, Patient> patients = patients(orders);
		List<ExamTimeline> out = new ArrayList<>();
		byRef.forEach((ref, order) -> out.add(timeline(ref, order, specimens.getOrDefault(ref, List.of()),
				reports.getOrDefault(ref, List.of()), patients.get(patientRef(order)))));
		return out;
	}

	private ExamTimeline timeline(String ref, ServiceRequest order, List<Specimen> specimens,
			List<DiagnosticReport> reports, Patient patient) {
		Map<Milestone, Instant> times = new EnumMap<>(Milestone.class);
		times.put(Milestone.ORDERED, instant(order.getAuthoredOnElement()));
		BinaryOperator<Instant> earliest = (a, b) -> a == null ? b : b == null ? a : a.isBefore(b) ? a : b;
		for (Specimen s : specimens) {
			times.put(Milestone.COLLECTED, earliest.apply(times.get(Milestone.COLLECTED), collected(s)));
			times.put(Milestone.RECEIVED, earliest.apply(times.get(Milestone.RECEIVED), instant(s.getReceivedTimeElement())));
		}
		Instant firstFinal = null;
		Instant firstAmended = null;
		boolean amended = false;
		int counted = 0;
		for (DiagnosticReport current : reports) {
			if (current.getStatus() == DiagnosticReportStatus.ENTEREDINERROR) {
				continue; // a report withdrawn as a mistake is no report of this exam
			}
			counted++;
			ReportMoments m = moments(current);
			times.put(Milestone.PRELIMINARY, earliest.apply(times.get(Milestone.PRELIMINARY), m.preliminary()));
			firstFinal = earliest.apply(firstFinal, m.firstFinal());
			firstAmended = earliest.apply(firstAmended, m.firstAmended());
			amended |= m.firstAmended() != null;
		}
		// A report that arrived already amended (no final version stored here) still finished the exam.
		times.put(Milestone.FINAL, firstFinal != null ? firstFinal : firstAmended);
		Instant recorded = order.getMeta().getLastUpdated() == null ? null : order.getMeta().getLastUpdated().toInstant();
		return new ExamTimeline(ref, examName(order), patientRef(order), patient == null ? null : name(patient),
				order.getStatus() == null ? null : order.getStatus().toCode(), recorded, times, counted, amended);
	}

	private record ReportMoments(Instant preliminary, Instant firstFinal, Instant firstAmended) {}

	/**
	 * The report's stored versions, oldest first: the first preliminary or partial version and the first
	 * final version (each at its DiagnosticReport.issued, else when that version was stored), and the first
	 * amended, corrected or appended one (R4 DiagnosticReportStatus: corrected and appended are kinds of
	 * amended). History is read only for reports that have more than one version.
	 */
	private ReportMoments moments(DiagnosticReport current) {
		List<DiagnosticReport> versions = new ArrayList<>();
		String versionId = current.getIdElement().getVersionIdPart();
		if (versionId != null && !"1".equals(versionId)) {
			IIdType id = current.getIdElement().toUnqualifiedVersionless();
			for (IBaseResource r : daos.getResourceDao(DiagnosticReport.class)
					.history(id, new HistorySearchDateRangeParam(), system()).getAllResources()) {
				versions.add((DiagnosticReport) r);
			}
			versions.sort(Comparator.comparingLong(r -> r.getIdElement().getVersionIdPartAsLong()));
		}
		if (versions.isEmpty()) {
			versions.add(current);
		}
		Instant preliminary = null;
		Instant firstFinal = null;
		Instant firstAmended = null;
		for (DiagnosticReport v : versions) {
			DiagnosticReportStatus status = v.getStatus();
			if (status == null) {
				continue;
			}
			Instant at = reported(v);
			switch (status) {
				case PRELIMINARY, PARTIAL -> preliminary = preliminary == null ? at : preliminary;
				case FINAL -> firstFinal = firstFinal == null ? at : firstFinal;
				case AMENDED, CORRECTED, APPENDED -> firstAmended = firstAmended == null ? at : firstAmended;
				default -> { }
			}
		}
		return new ReportMoments(preliminary, firstFinal, firstAmended);
	}

	/** DiagnosticReport.issued, else when this version was stored (meta.lastUpdated). */
	private Instant reported(DiagnosticReport version) {
		Instant issued = instant(version.getIssuedElement());
		if (issued != null) {
			return issued;
		}
		Date stored = version.getMeta().getLastUpdated();
		return stored == null ? null : stored.toInstant();
	}

	/** Specimen.collection.collected[x]: the dateTime, or the Period's start (else its end). */
	private Instant collected(Specimen s) {
		if (!s.hasCollection() || !s.getCollection().hasCollected()) {
			return null;
		}
		if (s.getCollection().getCollected() instanceof BaseDateTimeType dt) {
			return instant(dt);
		}
		if (s.getCollection().getCollected() instanceof Period p) {
			Instant start = instant(p.getStartElement());
			return start != null ? start : instant(p.getEndElement());
		}
		return null;
	}

	/**
	 * A FHIR date/dateTime/instant as an instant. A value without a time (authoredOn is often only a date,
	 * as in the samples) is the start of that day in the lab's zone: the earliest the order can have been
	 * placed, so the segment after it is never shortened.
	 */
	Instant instant(BaseDateTimeType t) {
		if (t == null || t.getValue() == null) {
			return null;
		}
		if (t.getPrecision().ordinal() <= TemporalPrecisionEnum.DAY.ordinal()) {
			int month = t.getPrecision() == TemporalPrecisionEnum.YEAR ? 1 : t.getMonth() + 1;
			int day = t.getPrecision() == TemporalPrecisionEnum.DAY ? t.getDay() : 1;
			return LocalDate.of(t.getYear(), month, day).atStartOfDay(zone).toInstant();
		}
		return t.getValue().toInstant();
	}

	/**
	 * Specimens by {@code Specimen?request=} (the package's SearchParameter bme-specimen-request); where that
	 * parameter is not active, the patients' specimens filtered on Specimen.request give the same answer.
	 */
	private Map<String, List<Specimen>> specimens(Map<String, ServiceRequest> orders) {
		List<IBaseResource> found;
		try {
			found = searchByReferences(Specimen.class, "request", orders.keySet());
		} catch (InvalidRequestException unknownParameter) {
			Set<String> patients = new LinkedHashSet<>();
			orders.values().forEach(o -> {
				if (patientRef(o) != null) {
					patients.add(patientRef(o));
				}
			});
			found = patients.isEmpty() ? List.of() : searchByReferences(Specimen.class, "subject", patients);
		}
		Map<String, List<Specimen>> out = new HashMap<>();
		for (IBaseResource r : found) {
			Specimen s = (Specimen) r;
			for (Reference request : s.getRequest()) {
				String ref = versionless(request);
				if (orders.containsKey(ref)) {
					out.computeIfAbsent(ref, k -> new ArrayList<>()).add(s);
				}
			}
		}
		return out;
	}

	private Map<String, List<DiagnosticReport>> reports(Set<String> orderRefs) {
		Map<String, List<DiagnosticReport>> out = new HashMap<>();
		for (IBaseResource r : searchByReferences(DiagnosticReport.class, "based-on", orderRefs)) {
			DiagnosticReport report = (DiagnosticReport) r;
			for (Reference basedOn : report.getBasedOn()) {
				String ref = versionless(basedOn);
				if (orderRefs.contains(ref)) {
					out.computeIfAbsent(ref, k -> new ArrayList<>()).add(report);
				}
			}
		}
		return out;
	}

	private Map<String, Patient> patients(List<ServiceRequest> orders) {
		TokenOrListParam ids = new TokenOrListParam();
		Set<String> seen = new LinkedHashSet<>();
		for (ServiceRequest o : orders) {
			String ref = patientRef(o);
			if (ref != null && seen.add(ref)) {
				ids.add(ref.substring("Patient/".length()));
			}
		}
		Map<String, Patient> out = new HashMap<>();
		if (seen.isEmpty()) {
			return out;
		}
		SearchParameterMap map = SearchParameterMap.newSynchronous();
		map.add("_id", ids);
		for (IBaseResource r : daos.getResourceDao(Patient.class).search(map, system()).getAllResources()) {
			out.put("Patient/" + r.getIdElement().getIdPart(), (Patient) r);
		}
		return out;
	}

	private List<IBaseResource> searchByReferences(Class<? extends IBaseResource> type, String param, Set<String> refs) {
		ReferenceOrListParam or = new ReferenceOrListParam();
		refs.forEach(ref -> or.addOr(new ReferenceParam(ref)));
		SearchParameterMap map = SearchParameterMap.newSynchronous();
		map.add(param, or);
		return daos.getResourceDao(type).search(map, system()).getAllResources();
	}

	private static String patientRef(ServiceRequest order) {
		IIdType id = order.getSubject().getReferenceElement();
		return "Patient".equals(id.getResourceType()) && id.hasIdPart() ? "Patient/" + id.getIdPart() : null;
	}

	private static String versionless(Reference ref) {
		IIdType id = ref.getReferenceElement();
		return id.hasResourceType() && id.hasIdPart() ? id.getResourceType() + "/" + id.getIdPart() : ref.getReference();
	}

	private static String examName(ServiceRequest order) {
		if (order.getCode().hasText()) {
			return order.getCode().getText();
		}
		return order.getCode().getCoding().stream().filter(c -> c.hasDisplay()).map(c -> c.getDisplay()).findFirst()
				.orElseGet(() -> order.getCode().getCodingFirstRep().getCode());
	}

	/** HumanName.text, else given names and family; the official name first (R4 HumanName.use). */
	static String name(Patient patient) {
		List<HumanName> names = new ArrayList<>(patient.getName());
		if (names.isEmpty()) {
			return null;
		}
		names.sort(Comparator.comparing(n -> n.getUse() == HumanName.NameUse.OFFICIAL ? 0 : 1));
		HumanName n = names.get(0);
		if (n.hasText()) {
			return n.getText();
		}
		String joined = (n.getGivenAsSingleString() + " " + (n.hasFamily() ? n.getFamily() : "")).trim();
		return joined.isEmpty() ? null : joined;
	}

	private static SystemRequestDetails system() {
		return new SystemRequestDetails();
	}
}
