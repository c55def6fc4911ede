package org.bonemarrow.server.console.operations;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.param.StringParam;
import ca.uhn.fhir.rest.param.TokenOrListParam;
import ca.uhn.fhir.rest.param.TokenParam;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.bonemarrow.server.security.audit.AuditEvents;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.Coding;
import org.springframework.stereotype.Component;

/**
 * The HL7 v2 messages page's data, read from the audit trail (the record every inbound message leaves,
 * {@link AuditEvents#v2Message}: DICOM 110107 Import with sender, type, control id, ACK code and the ERR
 * details), and the FHIR writes of reports that were refused ({@code FailedInteractionAudit}).
 */
@Component
public class ConsoleV2Messages {

	static final String DCM = "http://dicom.nema.org/resources/ontology/DCM";
	static final String IMPORT = "110107";
	public static final List<String> ACK_CODES = List.of("AA", "AE", "AR");
	// FHIR interactions that write (http://hl7.org/fhir/restful-interaction), as FailedInteractionAudit codes them.
	static final String INTERACTION = "http://hl7.org/fhir/restful-interaction";
	static final List<String> WRITES = List.of("create", "update", "patch", "delete", "transaction", "batch");
	private static final Pattern TYPE = Pattern.compile("[A-Z0-9]{3}(\\^[A-Z0-9]{3})?");
	/** {@code HL7 v2 ACK AE: 207 PID-3: reason} (the location is optional). */
	private static final Pattern ERROR = Pattern.compile("^HL7 v2 ACK (\\w+): (\\d+)(?: ([A-Z][A-Z0-9]{2}(?:\\(\\d+\\))?(?:-\\d+)?))?(?:: (.*))?$",
			Pattern.DOTALL);

	private final AuditEventPages pages;

	public ConsoleV2Messages(DaoRegistry daos) {
		this.pages = new AuditEventPages(daos);
	}

	/**
	 * What to list; each null for any.
	 *
	 * @param ack    AA, AE or AR
	 * @param sender the sender's client id (HTTP) or configured MLLP sender's client id; exact
	 * @param type   {@code ORU^R01}, or a message code alone ({@code ORU})
	 */
	public record Filter(String ack, String sender, String type, LocalDate from, LocalDate to) {

		/** @throws IllegalArgumentException a malformed ACK code or type */
		SearchParameterMap map() {
			SearchParameterMap map = new SearchParameterMap();
			map.add("type", new TokenParam(DCM, IMPORT));
			if (!blank(ack)) {
				String code = ack.trim().toUpperCase(Locale.ROOT);
				if (!ACK_CODES.contains(code)) {
					throw new IllegalArgumentException("ACK code must be AA, AE or AR");
				}
				map.add("subtype", new TokenParam(AuditEvents.V2_ACK_CODE_SYSTEM, code));
			}
			if (!blank(sender)) {
				map.add("agent-name", new StringParam(sender.trim(), true));
			}
			if (!blank(type)) {
				String t = type.trim().toUpperCase(Locale.ROOT);
				if (!TYPE.matcher(t).matches()) {
					throw new IllegalArgumentException("message type must look like ORU^R01 or ORU");
				}
				String[] codeAndEvent = t.split("\\^");
				map.add("subtype", new TokenParam(AuditEvents.V2_MESSAGE_CODE_SYSTEM, codeAndEvent[0]));
				if (codeAndEvent.length > 1) {
					map.add("subtype", new TokenParam(AuditEvents.V2_EVENT_SYSTEM, codeAndEvent[1]));
				}
			}
			AuditEventPages.dates(map, from, to);
			return map;
		}
	}

	/**
	 * One message as the audit trail recorded it.
	 *
	 * @param ack           AA, AE or AR
	 * @param errorCode     ERR-3 (HL7 table 0357), or null
	 * @param errorLocation ERR-2 ({@code PID-3}), or null
	 * @param error         ERR-8, the reason, or null
	 */
	public record V2Message(String auditEvent, Instant received, String sender, String type, String controlId,
			String ack, String errorCode, String errorLocation, String error) {

		public boolean refused() {
			return !"AA".equals(ack);
		}
	}

	public ResultPage<V2Message> list(Filter filter, Paging paging) {
		return pages.search(filter.map(), paging, ConsoleV2Messages::message);
	}

	static V2Message message(AuditEvent event) {
		String sender = event.getAgent().stream().filter(a -> a.getRequestor()).map(a -> a.getName()).findFirst()
				.orElse(null);
		AuditEvent.AuditEventEntityComponent entity = event.getEntityFirstRep();
		String display = entity.getWhat().getDisplay();
		String type = display != null && display.startsWith("HL7 v2 ") ? display.substring("HL7 v2 ".length()) : display;
		String ack = subtype(event, AuditEvents.V2_ACK_CODE_SYSTEM);
		String code = null;
		String location = null;
		String reason = null;
		String desc = event.getOutcomeDesc();
		Matcher m = desc == null ? null : ERROR.matcher(desc);
		if (m != null && m.matches()) {
			ack = ack == null ? m.group(1) : ack;
			code = m.group(2);
			location = m.group(3);
			reason = m.group(4);
		} else if (ack == null && desc != null && desc.startsWith("HL7 v2 ACK ")) {
			// Recorded before the ERR details were kept: the ACK code alone.
			ack = desc.substring("HL7 v2 ACK ".length()).split("[: ]")[0];
		}
		return new V2Message(event.getIdElement().getIdPart(), event.getRecorded() == null ? null : event.getRecorded().toInstant(),
				sender, type, entity.getName(), ack, code, location, reason);
	}

	private static String subtype(AuditEvent event, String system) {
		return event.getSubtype().stream().filter(c -> system.equals(c.getSystem())).map(Coding::getCode).findFirst()
				.orElse(null);
	}

	/**
	 * A refused FHIR write that was, or carried, a DiagnosticReport.
	 *
	 * @param interaction create, update, patch, delete, transaction or batch
	 * @param target      {@code DiagnosticReport/12}, or the type alone (a create, or a transaction that carried one)
	 * @param status      {@code HTTP 422}
	 * @param carried     the resource types a refused transaction carried
	 */
	public record RefusedWrite(String auditEvent, Instant at, String client, String interaction, String target,
			String status, String carried) {}

	/** Refused writes of DiagnosticReports, newest first. */
	public ResultPage<RefusedWrite> refusedReports(LocalDate from, LocalDate to, Paging paging) {
		SearchParameterMap map = new SearchParameterMap();
		map.add("entity-type", new TokenParam(AuditEvents.RESOURCE_TYPES, "DiagnosticReport"));
		map.add("outcome", new TokenOrListParam().add(new TokenParam("4")).add(new TokenParam("8")));
		TokenOrListParam writes = new TokenOrListParam();
		WRITES.forEach(w -> writes.add(new TokenParam(INTERACTION, w)));
		map.add("subtype", writes);
		AuditEventPages.dates(map, from, to);
		return pages.search(map, paging, ConsoleV2Messages::refused);
	}

	static RefusedWrite refused(AuditEvent event) {
		String client = event.getAgent().stream().filter(a -> a.getRequestor()).map(a -> a.getName()).findFirst()
				.orElse(null);
		String interaction = event.getSubtype().stream().filter(c -> INTERACTION.equals(c.getSystem()))
				.map(Coding::getCode).findFirst().orElse(null);
		String target = event.getEntity().stream().map(e -> e.getWhat())
				.filter(w -> w.hasReference() && w.getReference().startsWith("DiagnosticReport/"))
				.map(w -> w.getReference()).findFirst().orElse("DiagnosticReport");
		String carried = event.getEntity().stream().filter(e -> !e.getWhat().hasReference() && e.getWhat().hasType())
				.map(e -> e.getWhat().getType()).distinct().collect(Collectors.joining(", "));
		return new RefusedWrite(event.getIdElement().getIdPart(),
				event.getRecorded() == null ? null : event.getRecorded().toInstant(), client, interaction, target,
				event.getOutcomeDesc(), carried);
	}

	private static boolean blank(String s) {
		return s == null || s.isBlank();
	}
}
