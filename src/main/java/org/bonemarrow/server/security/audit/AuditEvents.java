package org.bonemarrow.server.security.audit;

import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.AuditEvent;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventAction;
import org.hl7.fhir.r4.model.AuditEvent.AuditEventOutcome;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Reference;

/**
 * AuditEvents for what HAPI's BALP interceptor does not record: refused and failed interactions, and the
 * workflow adapter as a second agent. Shaped like BALP's own events (IHE Basic Audit Log Patterns) so one
 * search finds both. Pure: no server needed to test it. Carries ids, types and status codes only, never
 * a message text that could quote patient data.
 */
public final class AuditEvents {

	/** Identifier system for OAuth client ids (the "who" of every event). */
	public static final String CLIENT_ID_SYSTEM = "https://bonemarrow-exam.example/fhir/sid/oauth-client";
	/** The workflow adapter's agent identifier system; its value is the rule's name. */
	public static final String ADAPTER_RULE_SYSTEM = "https://bonemarrow-exam.example/fhir/sid/adapter-rule";
	public static final String OBSERVER = "bone-marrow-exam-fhir-server";

	// http://terminology.hl7.org/CodeSystem/audit-event-type (R4 AuditEvent.type), as BALP uses.
	private static final Coding REST = new Coding("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest",
			"Restful Operation");
	// http://hl7.org/fhir/restful-interaction (R4 AuditEvent.subtype binding).
	private static final String INTERACTION_SYSTEM = "http://hl7.org/fhir/restful-interaction";

	private AuditEvents() {}

	public static Reference client(String clientId) {
		return new Reference().setIdentifier(new Identifier().setSystem(CLIENT_ID_SYSTEM).setValue(clientId))
				.setDisplay(clientId);
	}

	/**
	 * A request that was refused or failed (or, with the outcome reset, an interaction BALP does not see).
	 *
	 * @param clientId   the verified client, or null when it had no valid token
	 * @param operation  HAPI's interaction, or null when the request never reached HAPI
	 * @param what       the resource type or {@code Type/id} the request was about, or null
	 * @param httpStatus the status answered
	 */
	public static AuditEvent failed(String clientId, RestOperationTypeEnum operation, String what, int httpStatus,
			String networkAddress) {
		return failed(clientId, operation, what, httpStatus, networkAddress, List.of());
	}

	/** FHIR's resource type code system, as AuditEvent.entity.type (R4 value set audit-entity-type includes it). */
	public static final String RESOURCE_TYPES = "http://hl7.org/fhir/resource-types";

	/**
	 * As above, for a transaction or batch: {@code carried} are the resource types of its entries, one entity
	 * each, so {@code AuditEvent?entity-type=http://hl7.org/fhir/resource-types|DiagnosticReport} finds a
	 * refused transaction that carried a report as well as a refused write of one report. Types only: the
	 * entries' ids and contents stay out of the audit trail.
	 */
	public static AuditEvent failed(String clientId, RestOperationTypeEnum operation, String what, int httpStatus,
			String networkAddress, List<String> carried) {
		AuditEvent event = new AuditEvent();
		event.setType(REST.copy());
		if (operation != null && operation.getCode() != null) {
			event.addSubtype(new Coding(INTERACTION_SYSTEM, interactionCode(operation), operation.getCode()));
		}
		event.setAction(action(operation));
		event.setRecorded(new Date());
		event.setOutcome(httpStatus >= 500 ? AuditEventOutcome._8 : AuditEventOutcome._4);
		event.setOutcomeDesc("HTTP " + httpStatus);
		AuditEvent.AuditEventAgentComponent agent = event.addAgent()
				.setRequestor(true)
				.setWho(clientId == null ? new Reference().setDisplay("unauthenticated") : client(clientId))
				.setName(clientId == null ? "unauthenticated" : clientId);
		if (networkAddress != null) {
			agent.getNetwork().setAddress(networkAddress).setType(AuditEvent.AuditEventAgentNetworkType._2);
		}
		event.getSource().setObserver(new Reference().setDisplay(OBSERVER));
		if (what != null && !what.isBlank()) {
			event.addEntity().setWhat(what.contains("/") ? new Reference(what) : new Reference().setType(what))
					.setType(new Coding(RESOURCE_TYPES, what.contains("/") ? what.substring(0, what.indexOf('/')) : what, null));
		}
		for (String type : carried) {
			event.addEntity().setWhat(new Reference().setType(type)).setType(new Coding(RESOURCE_TYPES, type, null));
		}
		return event;
	}

	/**
	 * One inbound HL7 v2 message: DICOM audit event 110107 "Import" (data received into the system,
	 * http://dicom.nema.org/resources/ontology/DCM), the message type and control id as the entity, the
	 * ACK code as the outcome (AA success, AE/AR refused).
	 *
	 * @param sender the client id of the sender (HTTP), its MSH-3 (MLLP), or null when unreadable
	 */
	public static AuditEvent v2Message(String sender, String messageType, String controlId, String ackCode) {
		return v2Message(sender, messageType, controlId, ackCode, null);
	}

	/** HL7 table 0008 (MSA-1, acknowledgment code): {@code AuditEvent?subtype=<system>|AE} finds the refused. */
	public static final String V2_ACK_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0008";
	/** HL7 table 0076 (MSH-9.1, message code: ORU, ORM, OML). */
	public static final String V2_MESSAGE_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0076";
	/** HL7 table 0003 (MSH-9.2, trigger event: R01, O01, O21). */
	public static final String V2_EVENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0003";
	/** The longest reason kept in an event's description (ERR-8 is not bounded by the standard). */
	static final int MAX_V2_REASON = 500;

	/**
	 * What the ACK's ERR segment said: ERR-3 (HL7 table 0357 code), ERR-2 (where, e.g. {@code PID-3} or
	 * {@code OBX(3)-5}; null when nowhere in particular) and ERR-8 (the reason; written for the sender's
	 * analyst and free of patient data, see {@code v2.V2Rejection}).
	 */
	public record V2Error(int code, String location, String reason) {

		/** {@code PID-3}, {@code OBX(3)-5}, {@code MSH}; null without a segment. */
		public static String location(String segment, int sequence, int field) {
			if (segment == null) {
				return null;
			}
			return segment + (sequence > 1 ? "(" + sequence + ")" : "") + (field > 0 ? "-" + field : "");
		}

		/** {@code 207 PID-3: reason}. */
		String describe() {
			String text = reason == null ? "" : reason.length() > MAX_V2_REASON ? reason.substring(0, MAX_V2_REASON) + "..." : reason;
			return code + (location == null ? "" : " " + location) + (text.isEmpty() ? "" : ": " + text);
		}
	}

	/**
	 * One inbound HL7 v2 message, as above, with the ERR details of a refusal in {@code outcomeDesc}
	 * ({@code HL7 v2 ACK AE: 207 PID-3: ...}), so the audit trail says why without the message itself. The
	 * ACK code, message code and trigger event are also subtypes (HL7 tables 0008, 0076, 0003), which is what
	 * lets {@code AuditEvent?subtype=} list the messages by ACK code and type (AuditEvent.subtype's value set
	 * is extensible).
	 *
	 * @param error the ERR segment of an AE or AR, or null (AA)
	 */
	public static AuditEvent v2Message(String sender, String messageType, String controlId, String ackCode,
			V2Error error) {
		AuditEvent event = new AuditEvent();
		event.setType(new Coding("http://dicom.nema.org/resources/ontology/DCM", "110107", "Import"));
		event.setAction(AuditEventAction.C);
		event.setRecorded(new Date());
		event.setOutcome("AA".equals(ackCode) ? AuditEventOutcome._0 : AuditEventOutcome._4);
		event.setOutcomeDesc("HL7 v2 ACK " + ackCode + (error == null ? "" : ": " + error.describe()));
		if (ackCode != null) {
			event.addSubtype(new Coding(V2_ACK_CODE_SYSTEM, ackCode, null));
		}
		if (messageType != null && !messageType.isBlank() && !messageType.startsWith("^")) {
			String[] codeAndEvent = messageType.split("\\^");
			event.addSubtype(new Coding(V2_MESSAGE_CODE_SYSTEM, codeAndEvent[0], null));
			if (codeAndEvent.length > 1 && !codeAndEvent[1].isEmpty()) {
				event.addSubtype(new Coding(V2_EVENT_SYSTEM, codeAndEvent[1], null));
			}
		}
		event.addAgent().setRequestor(true)
				.setWho(sender == null ? new Reference().setDisplay("unknown sender") : client(sender))
				.setName(sender == null ? "unknown sender" : sender);
		event.getSource().setObserver(new Reference().setDisplay(OBSERVER));
		AuditEvent.AuditEventEntityComponent entity = event.addEntity();
		entity.setWhat(new Reference().setDisplay(messageType == null ? "unreadable HL7 v2 message" : "HL7 v2 " + messageType));
		if (controlId != null) {
			entity.setName(controlId);
		}
		return event;
	}

	/** Adds the workflow adapter rule as the agent that actually wrote, beside the client that triggered it. */
	public static void addAdapterAgent(AuditEvent event, String rule) {
		event.addAgent()
				.setRequestor(false)
				.setWho(new Reference().setIdentifier(new Identifier().setSystem(ADAPTER_RULE_SYSTEM).setValue(rule))
						.setDisplay("workflow adapter: " + rule))
				.setName("adapter:" + rule);
	}

	/**
	 * The events of one committed database transaction, one per interaction and writer: events alike in
	 * type, subtype, action, outcome and agents (the client, and the adapter rule if one wrote) become one
	 * event naming every resource as an entity, in the order written.
	 * <ul>
	 *   <li>Why: BALP records each resource a transaction Bundle writes; stored one by one, an exam's
	 *       two dozen AuditEvents were a quarter of the server's CPU (BENCHMARKS.md). The transaction is one
	 *       FHIR interaction, and {@code AuditEvent?entity=} and {@code ?patient=} still find every
	 *       resource in it.</li>
	 *   <li>A merged event no longer claims BALP's profiles (they allow one data entity), so
	 *       {@code meta.profile} is cleared on it. A lone event is passed on unchanged.</li>
	 * </ul>
	 */
	public static List<AuditEvent> onePerInteraction(List<AuditEvent> events) {
		Map<String, AuditEvent> byInteraction = new LinkedHashMap<>();
		for (AuditEvent event : events) {
			AuditEvent first = byInteraction.putIfAbsent(interactionKey(event), event);
			if (first != null) {
				first.getMeta().getProfile().clear();
				for (AuditEvent.AuditEventEntityComponent entity : event.getEntity()) {
					if (first.getEntity().stream().noneMatch(known -> known.equalsDeep(entity))) {
						first.addEntity(entity);
					}
				}
			}
		}
		return List.copyOf(byInteraction.values());
	}

	/** What makes two events of one transaction the same interaction by the same writer. */
	static String interactionKey(AuditEvent event) {
		StringBuilder key = new StringBuilder()
				.append(event.getAction()).append('|').append(event.getOutcome()).append('|')
				.append(event.getType().getSystem()).append('#').append(event.getType().getCode());
		for (Coding subtype : event.getSubtype()) {
			key.append("|subtype:").append(subtype.getSystem()).append('#').append(subtype.getCode());
		}
		for (AuditEvent.AuditEventAgentComponent agent : event.getAgent()) {
			Identifier who = agent.getWho().getIdentifier();
			key.append("|agent:").append(agent.getRequestor()).append('/').append(agent.getName()).append('/')
					.append(who.getSystem()).append('#').append(who.getValue()).append('/')
					.append(agent.getWho().getReference());
		}
		return key.toString();
	}

	/** Copies each agent's client id into {@code agent.name}, so {@code AuditEvent?agent-name=} finds it. */
	public static void nameAgents(AuditEvent event) {
		for (AuditEvent.AuditEventAgentComponent agent : event.getAgent()) {
			if (!agent.hasName() && agent.getWho().hasIdentifier()) {
				agent.setName(agent.getWho().getIdentifier().getValue());
			}
		}
	}

	static AuditEventAction action(RestOperationTypeEnum operation) {
		if (operation == null) {
			return AuditEventAction.E;
		}
		return switch (operation) {
			case CREATE -> AuditEventAction.C;
			case READ, VREAD, HISTORY_INSTANCE, HISTORY_TYPE, HISTORY_SYSTEM, METADATA -> AuditEventAction.R;
			// BALP records a query as E (execute); the same here so one search finds both.
			case SEARCH_TYPE, SEARCH_SYSTEM, GET_PAGE -> AuditEventAction.E;
			case UPDATE, PATCH -> AuditEventAction.U;
			case DELETE -> AuditEventAction.D;
			default -> AuditEventAction.E;
		};
	}

	/** HAPI's operation code as the restful-interaction code (search-type, history-instance, ...). */
	private static String interactionCode(RestOperationTypeEnum operation) {
		return switch (operation) {
			case EXTENDED_OPERATION_SERVER, EXTENDED_OPERATION_TYPE, EXTENDED_OPERATION_INSTANCE -> "operation";
			case METADATA -> "capabilities";
			default -> operation.getCode();
		};
	}
}
