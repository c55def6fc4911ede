package org.bonemarrow.server.console.operations;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.StringParam;
import ca.uhn.fhir.rest.param.TokenParam;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.bonemarrow.server.console.ConsoleAudit;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Reference;
import org.springframework.stereotype.Component;

/**
 * The audit page's search: AuditEvents by client, patient, resource, outcome and date range, with
 * AuditEvent's own search parameters, newest first. Each search is itself audited ({@link ConsoleAudit#searched}).
 * <ul>
 *   <li>client: {@code agent-name:exact}. The audit trail names every agent in {@code agent.name} (an OAuth
 *       client id, a console user, a workflow adapter rule as {@code adapter:<rule>}, an HL7 v2 sender);
 *       {@code agent} itself is a reference search and clients are identifiers, not resources.</li>
 *   <li>patient: {@code patient=Patient/<id>}; resource: {@code entity=<Type>/<id>}; outcome: the R4 codes
 *       0, 4, 8, 12; date: {@code date=ge..&date=le..} on {@code recorded}.</li>
 * </ul>
 * What a row shows are references, codes and the server's own descriptions: an entity's {@code what.display}
 * only where the event has no reference (a deleted resource's id, an HL7 v2 message type), never a name.
 */
@Component
public class ConsoleAuditSearch {

	/** AuditEvent.outcome (R4): 0 success, 4 minor failure, 8 serious failure, 12 major failure. */
	public static final Map<String, String> OUTCOMES = outcomes();
	private static final Pattern REFERENCE = Pattern.compile("[A-Z][A-Za-z]{1,63}/[A-Za-z0-9\\-.]{1,64}");
	private static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");
	private static final Pattern NAME = Pattern.compile("[\\p{Alnum}@._:/\\- ]{1,100}");

	private static Map<String, String> outcomes() {
		Map<String, String> outcomes = new java.util.LinkedHashMap<>();
		outcomes.put("0", "success");
		outcomes.put("4", "minor failure");
		outcomes.put("8", "serious failure");
		outcomes.put("12", "major failure");
		return java.util.Collections.unmodifiableMap(outcomes);
	}

	private final AuditEventPages pages;
	private final ConsoleAudit audit;

	public ConsoleAuditSearch(DaoRegistry daos, ConsoleAudit audit) {
		this.pages = new AuditEventPages(daos);
		this.audit = audit;
	}

	/**
	 * The criteria; each null or blank for any.
	 *
	 * @param client   an agent's name: an OAuth client id, a console user
	 * @param patient  {@code Patient/<id>} or {@code <id>}
	 * @param resource {@code <Type>/<id>}
	 * @param outcome  0, 4, 8 or 12
	 */
	public record Criteria(String client, String patient, String resource, String outcome, LocalDate from, LocalDate to) {

		/** {@code Patient/<id>}, or null. */
		String patientReference() {
			if (blank(patient)) {
				return null;
			}
			String p = patient.trim();
			String ref = p.startsWith("Patient/") ? p : "Patient/" + p;
			if (!ID.matcher(ref.substring("Patient/".length())).matches()) {
				throw new IllegalArgumentException("patient must be Patient/<id> or an id");
			}
			return ref;
		}

		/** The criteria as validated query text (for the audit event and the page's links); never a name. */
		String queryString() {
			List<String> parts = new ArrayList<>();
			if (!blank(client)) {
				if (!NAME.matcher(client.trim()).matches()) {
					throw new IllegalArgumentException("client must be a client id or user name");
				}
				parts.add("agent-name:exact=" + client.trim());
			}
			String p = patientReference();
			if (p != null) {
				parts.add("patient=" + p);
			}
			if (!blank(resource)) {
				if (!REFERENCE.matcher(resource.trim()).matches()) {
					throw new IllegalArgumentException("resource must be <Type>/<id>, e.g. DiagnosticReport/12");
				}
				parts.add("entity=" + resource.trim());
			}
			if (!blank(outcome)) {
				if (!OUTCOMES.containsKey(outcome.trim())) {
					throw new IllegalArgumentException("outcome must be 0, 4, 8 or 12");
				}
				parts.add("outcome=" + outcome.trim());
			}
			if (from != null) {
				parts.add("date=ge" + from);
			}
			if (to != null) {
				parts.add("date=le" + to);
			}
			return String.join("&", parts);
		}

		SearchParameterMap map() {
			queryString();
			SearchParameterMap map = new SearchParameterMap();
			if (!blank(client)) {
				map.add("agent-name", new StringParam(client.trim(), true));
			}
			String p = patientReference();
			if (p != null) {
				map.add("patient", new ReferenceParam(p));
			}
			if (!blank(resource)) {
				map.add("entity", new ReferenceParam(resource.trim()));
			}
			if (!blank(outcome)) {
				map.add("outcome", new TokenParam(outcome.trim()));
			}
			AuditEventPages.dates(map, from, to);
			return map;
		}
	}

	/**
	 * One AuditEvent as the page shows it.
	 *
	 * @param type     the event type's display or code ({@code Restful Operation}, {@code Import})
	 * @param subtype  the interaction or action ({@code read}, {@code search-type}, {@code replay})
	 * @param agents   the agents' names
	 * @param entities references (or, for an entity without one, its type or display)
	 */
	public record AuditRow(String id, Instant recorded, String type, String subtype, String action, String outcome,
			String outcomeText, String description, List<String> agents, List<String> entities) {

		public boolean failed() {
			return !"0".equals(outcome);
		}
	}

	/**
	 * Runs the search and audits it.
	 *
	 * @throws IllegalArgumentException malformed criteria (nothing is searched, nothing audited)
	 */
	public ResultPage<AuditRow> search(Criteria criteria, Paging paging, String user, Collection<String> roles) {
		SearchParameterMap map = criteria.map();
		ResultPage<AuditRow> page = pages.search(map, paging, ConsoleAuditSearch::row);
		String query = criteria.queryString() + (paging.page() > 0 ? (criteria.queryString().isEmpty() ? "" : "&")
				+ "_offset=" + paging.offset() : "");
		audit.searched(user, roles, query, criteria.patientReference(), page.items().size());
		return page;
	}

	static AuditRow row(AuditEvent event) {
		Coding type = event.getType();
		String subtype = event.getSubtype().stream().map(c -> c.getCode()).filter(c -> c != null)
				.collect(Collectors.joining(" "));
		String outcome = event.getOutcome() == null ? null : event.getOutcome().toCode();
		List<String> agents = event.getAgent().stream().map(a -> a.hasName() ? a.getName() : shown(a.getWho()))
				.filter(a -> a != null).toList();
		List<String> entities = event.getEntity().stream().map(e -> shown(e.getWhat()))
				.filter(e -> e != null).toList();
		return new AuditRow(event.getIdElement().getIdPart(),
				event.getRecorded() == null ? null : event.getRecorded().toInstant(),
				type.hasDisplay() ? type.getDisplay() : type.getCode(), subtype,
				event.getAction() == null ? null : event.getAction().toCode(), outcome, OUTCOMES.get(outcome),
				event.getOutcomeDesc(), agents, entities);
	}

	/** A reference, else an identifier's value, else a type, else the display (ids of deleted resources). */
	private static String shown(Reference what) {
		if (what.hasReference()) {
			return what.getReference();
		}
		if (what.hasIdentifier() && what.getIdentifier().hasValue()) {
			return what.getIdentifier().getValue();
		}
		if (what.hasType()) {
			return what.getType();
		}
		return what.hasDisplay() ? what.getDisplay() : null;
	}

	private static boolean blank(String s) {
		return s == null || s.isBlank();
	}
}
