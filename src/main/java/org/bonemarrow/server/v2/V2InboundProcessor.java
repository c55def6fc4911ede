package org.bonemarrow.server.v2;

import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.UnprocessableEntityException;
import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.HapiContext;
import ca.uhn.hl7v2.model.Message;
import ca.uhn.hl7v2.model.v251.message.ORU_R01;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bonemarrow.server.security.CallerIdentity;
import org.bonemarrow.server.security.audit.AuditEvents;
import org.bonemarrow.server.security.audit.AuditTrail;
import org.springframework.beans.factory.ObjectProvider;
import org.hl7.fhir.instance.model.api.IBaseOperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * One inbound HL7 v2 message, whatever the transport (MLLP or HTTP), to its ACK:
 * <ol>
 *   <li>read the MSH on its own (an unreadable one is answered AR, or 400 over HTTP);</li>
 *   <li>the sender: the transport says who it is (MLLP: configured MSH-3, checked against the client
 *       certificate when the sender is bound to one; HTTP: the bearer token); unknown or not matching: AR;</li>
 *   <li>version 2.5 or 2.5.1 (else AR 203), at most {@code bonemarrow.v2.limits} segments, repetitions and
 *       separators (else AR 207, before anything else is parsed), and a supported type (ORM^O01,
 *       OML^O21, ORU^R01; else AR 200/201);</li>
 *   <li>the sender's scopes cover every write the type implies (else AR 207);</li>
 *   <li>HAPI parses the whole message into the v2.5.1 structures (a parse error: AE with its location);</li>
 *   <li>the mapper and its handler turn it into ONE FHIR transaction (validation, adapter rules);
 *       a refusal is AE with the reason, and nothing is stored;</li>
 *   <li>AA.</li>
 * </ol>
 * Logs carry the message type, control id, sender and outcome only: never the message, never patient data.
 */
@Component
public class V2InboundProcessor {

	private static final Logger log = LoggerFactory.getLogger(V2InboundProcessor.class);

	static final Set<String> VERSIONS = Set.of("2.5", "2.5.1");
	private static final Pattern HAPI_CODE = Pattern.compile("HAPI-\\d{4}");

	/**
	 * The answer to one message.
	 *
	 * @param ack      the ACK, ER7 with {@code \r} between segments
	 * @param code     MSA-1: AA, AE or AR
	 * @param readable false when not even the MSH could be read (HTTP answers 400 then)
	 */
	public record Result(String ack, String code, boolean readable) {}

	private final HapiContext hapi = V2Hapi.parsingContext();
	private final OrderMessageHandler orders;
	private final ResultMessageHandler results;

	private final ObjectProvider<AuditTrail> audit;

	private final V2Properties.Limits limits;

	public V2InboundProcessor(OrderMessageHandler orders, ResultMessageHandler results, ObjectProvider<AuditTrail> audit,
			V2Properties properties) {
		this.orders = orders;
		this.results = results;
		this.audit = audit;
		this.limits = properties.limits();
	}

	/**
	 * @param er7     the message as received; {@code \r\n} and {@code \n} between segments are read as {@code \r}
	 * @param senders who sent it, given its header; empty for a sender the transport does not know
	 */
	public Result process(String er7, Function<V2Header, Optional<CallerIdentity>> senders) {
		String message = normalise(er7);
		Optional<V2Header> read = V2Header.read(message, hapi);
		if (read.isEmpty()) {
			log.info("HL7 v2 message without a readable MSH segment: AR");
			String why = "The message does not start with a readable MSH segment (ER7 encoding, segments separated by carriage returns)";
			return audited(new Result(AckBuilder.unreadable(hapi, why), "AR", false), null, null, null,
					V2Rejection.reject(ErrorCode.SEGMENT_SEQUENCE_ERROR, "MSH", 0, why));
		}
		V2Header header = read.get();
		String sender = header.sendingApplication();
		try {
			CallerIdentity caller = senders.apply(header).orElseThrow(() -> V2Rejection.reject(
					ErrorCode.APPLICATION_INTERNAL_ERROR, "MSH", 3,
					"MSH-3: the sending application is not a configured HL7 v2 sender of this server"));
			sender = caller.clientId();
			if (!VERSIONS.contains(header.version())) {
				throw V2Rejection.reject(ErrorCode.UNSUPPORTED_VERSION_ID, "MSH", 12,
						"MSH-12: HL7 version " + header.version() + " is not supported; send 2.5.1 (or 2.5)");
			}
			checkLimits(message, limits);
			String type = header.messageType();
			List<V2Warning> warnings = List.of();
			switch (type) {
				case "ORM^O01", "OML^O21" -> {
					V2Authorization.require(caller, type, V2Authorization.ORDER);
					orders.handle(parse(message), caller);
				}
				case "ORU^R01" -> {
					V2Authorization.require(caller, type, V2Authorization.RESULT);
					Message parsed = parse(message);
					if (!(parsed instanceof ORU_R01 oru)) {
						throw V2Rejection.error(ErrorCode.SEGMENT_SEQUENCE_ERROR, "MSH", 9, "The message is not an ORU_R01 structure");
					}
					warnings = results.handle(oru, caller, type);
				}
				default -> throw unsupported(header);
			}
			log.info("HL7 v2 {} {} from {}: AA{}", type, header.controlId(), sender,
					warnings.isEmpty() ? "" : " with " + warnings.size() + " warning(s)");
			return audited(new Result(AckBuilder.accept(header, warnings), "AA", true), header, sender, caller, null);
		} catch (V2Rejection r) {
			return refused(header, sender, r);
		} catch (BaseServerResponseException e) {
			return refused(header, sender, fromFhir(e));
		} catch (RuntimeException e) {
			// The class only: an exception message could quote the message's content.
			log.warn("HL7 v2 {} {} from {}: internal error {}", header.messageType(), header.controlId(), sender,
					e.getClass().getName());
			return refused(header, sender, V2Rejection.error(ErrorCode.APPLICATION_INTERNAL_ERROR,
					"The server could not process the message (internal error); nothing was stored"));
		}
	}

	/**
	 * The answer to a message the transport refused before reading it whole (over the MLLP listener's limits):
	 * the rejection as an AR addressed from the MSH in its first bytes, audited like any other answer. Empty
	 * when those bytes hold no readable MSH (the transport then closes the connection without an answer).
	 *
	 * @param head the message's first bytes
	 */
	public Optional<Result> refuseUnread(String head, V2Rejection rejection,
			Function<V2Header, Optional<CallerIdentity>> senders) {
		String message = normalise(head);
		int end = message.indexOf('\r');
		Optional<V2Header> read = V2Header.read(end < 0 ? message : message.substring(0, end), hapi);
		if (read.isEmpty()) {
			log.info("HL7 v2 message refused unread, without a readable MSH segment: no answer");
			audited(new Result("", "AR", false), null, null, null, rejection);
			return Optional.empty();
		}
		V2Header header = read.get();
		String sender;
		try {
			sender = senders.apply(header).map(CallerIdentity::clientId).orElse(header.sendingApplication());
		} catch (V2Rejection notThisSender) {
			// e.g. MSH-3 bound to another client certificate: the frame is refused anyway, addressed from its MSH.
			sender = header.sendingApplication();
		}
		return Optional.of(refused(header, sender, rejection));
	}

	/**
	 * Refuses (AR 207) a message with more segments, repetitions or separators than the limits allow, counted
	 * on the text before HAPI builds an object for each of them (a few hundred KB of repetitions of a composite
	 * field would otherwise take hundreds of MB of heap). The separators are the message's own (MSH-1, MSH-2).
	 *
	 * @param message normalised ({@code \r} between segments), starting with a readable MSH
	 */
	static void checkLimits(String message, V2Properties.Limits limits) {
		char field = message.charAt(3);
		int encodingEnd = message.indexOf(field, 4);
		String encoding = message.substring(4, encodingEnd < 0 ? message.length() : encodingEnd);
		char component = encoding.length() > 0 ? encoding.charAt(0) : '^';
		char repetition = encoding.length() > 1 ? encoding.charAt(1) : '~';
		char subcomponent = encoding.length() > 3 ? encoding.charAt(3) : '&';
		int segments = 1;
		int repetitions = 0;
		int separators = 0;
		for (int i = 4 + encoding.length(); i < message.length(); i++) {
			char c = message.charAt(i);
			if (c == '\r') {
				segments++;
			} else if (c == repetition) {
				repetitions++;
			} else if (c == field || c == component || c == subcomponent) {
				separators++;
			}
		}
		String over = segments > limits.maxSegments() ? limits.maxSegments() + " segments (bonemarrow.v2.limits.max-segments)"
				: repetitions > limits.maxRepetitions() ? limits.maxRepetitions()
						+ " field repetitions (bonemarrow.v2.limits.max-repetitions)"
				: separators > limits.maxSeparators() ? limits.maxSeparators()
						+ " field, component and subcomponent separators (bonemarrow.v2.limits.max-separators)"
				: null;
		if (over != null) {
			throw V2Rejection.reject(ErrorCode.APPLICATION_INTERNAL_ERROR, null, 0, "The message has more than this "
					+ "server's limit of " + over + "; it was not read, and nothing was stored");
		}
	}

	private Result refused(V2Header header, String sender, V2Rejection r) {
		log.info("HL7 v2 {} {} from {}: {} {}", header.messageType(), header.controlId(), sender,
				r.acknowledgment().name(), r.errorCode().getCode());
		return audited(new Result(AckBuilder.error(header, r), r.acknowledgment().name(), true), header, sender, null, r);
	}

	/**
	 * Every message leaves an AuditEvent (DICOM 110107 Import): sender, message type, control id, ACK code, and
	 * for a refusal what its ERR segment says (code, location, reason: the reason names fields and rules,
	 * never patient data, see {@link V2Rejection}), so the console's message list can show why.
	 */
	private Result audited(Result result, V2Header header, String sender, CallerIdentity caller, V2Rejection refusal) {
		AuditEvents.V2Error error = refusal == null ? null : new AuditEvents.V2Error(refusal.errorCode().getCode(),
				AuditEvents.V2Error.location(refusal.segment(), refusal.sequence(), refusal.field()), refusal.userMessage());
		audit.ifAvailable(trail -> trail.recordAuditEvent(AuditEvents.v2Message(
				caller != null ? caller.clientId() : sender,
				header == null ? null : header.messageType(),
				header == null ? null : header.controlId(),
				result.code(), error)));
		return result;
	}

	private static V2Rejection unsupported(V2Header header) {
		boolean knownCode = Set.of("ORM", "OML", "ORU").contains(header.messageCode());
		return V2Rejection.reject(knownCode ? ErrorCode.UNSUPPORTED_EVENT_CODE : ErrorCode.UNSUPPORTED_MESSAGE_TYPE,
				"MSH", 9, "MSH-9: message type " + header.messageType()
						+ " is not supported; this server accepts ORM^O01 and OML^O21 (orders) and ORU^R01 (results)");
	}

	private Message parse(String message) {
		try {
			return hapi.getPipeParser().parse(message);
		} catch (HL7Exception e) {
			// HAPI's own text can quote the offending value (patient data): keep its code and location only.
			ErrorCode code = e.getError() != null && e.getError() != ErrorCode.APPLICATION_INTERNAL_ERROR
					? e.getError() : ErrorCode.DATA_TYPE_ERROR;
			String segment = e.getLocation() != null ? e.getLocation().getSegmentName() : null;
			int field = e.getLocation() != null ? Math.max(e.getLocation().getField(), 0) : 0;
			String where = segment == null ? "" : " at " + segment + (field > 0 ? "-" + field : "");
			throw V2Rejection.error(code, segment, field,
					"The message could not be parsed: " + code.getMessage().toLowerCase() + where);
		}
	}

	/**
	 * A FHIR refusal as an AE. Profile validation (422) and the workflow rules ("Workflow rule ...", 409/422)
	 * say what was wrong in terms of FHIR paths, codes and resource ids, which is passed on; anything else is
	 * reported by status and HAPI code only, because HAPI's own texts can quote identifier values.
	 */
	static V2Rejection fromFhir(BaseServerResponseException e) {
		String diagnostics = firstError(e.getOperationOutcome());
		if (diagnostics == null) {
			diagnostics = e.getMessage();
		}
		if (diagnostics != null && diagnostics.startsWith("Workflow rule ")) {
			return V2Rejection.error(ErrorCode.APPLICATION_INTERNAL_ERROR, "Refused by the exam workflow: " + diagnostics);
		}
		if (e instanceof UnprocessableEntityException && String.valueOf(e.getMessage()).contains("does not conform to profile")) {
			return V2Rejection.error(ErrorCode.APPLICATION_INTERNAL_ERROR, "The mapped FHIR resources do not conform to the "
					+ "bone marrow exam profiles: " + diagnostics);
		}
		Matcher code = HAPI_CODE.matcher(String.valueOf(e.getMessage()));
		return V2Rejection.error(ErrorCode.APPLICATION_INTERNAL_ERROR, "The FHIR transaction was refused with HTTP "
				+ e.getStatusCode() + (code.find() ? " (" + code.group() + ")" : "") + "; nothing was stored");
	}

	private static String firstError(IBaseOperationOutcome outcome) {
		if (outcome instanceof OperationOutcome oo) {
			for (OperationOutcome.OperationOutcomeIssueComponent issue : oo.getIssue()) {
				if (issue.getSeverity() == OperationOutcome.IssueSeverity.ERROR
						|| issue.getSeverity() == OperationOutcome.IssueSeverity.FATAL) {
					String where = issue.hasExpression() ? " (at " + issue.getExpression().get(0).getValue() + ")" : "";
					return issue.getDiagnostics() + where;
				}
			}
		}
		return null;
	}

	/** Segment separators as HL7 wants them ({@code \r}); tolerant of files and HTTP bodies with line feeds. */
	static String normalise(String er7) {
		if (er7 == null) {
			return "";
		}
		String s = er7.startsWith("\uFEFF") ? er7.substring(1) : er7;
		s = s.replace("\r\n", "\r").replace('\n', '\r').strip();
		return s;
	}

	HapiContext hapi() {
		return hapi;
	}
}
