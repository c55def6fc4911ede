package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.AcknowledgmentCode;
import ca.uhn.hl7v2.ErrorCode;

/**
 * Why a message is not (or not wholly) accepted, in the terms of its ACK: MSA-1 (AE or AR), the HL7 error
 * code of table 0357 (ERR-3), where in the message (ERR-2: segment and field) and a sentence for the sender
 * (ERR-8). The sentence names fields, codes and rules, never patient data, because ACKs end up in logs and
 * on interface engine screens.
 */
public class V2Rejection extends RuntimeException {

	private final AcknowledgmentCode acknowledgment;
	private final ErrorCode errorCode;
	private final String segment;
	private final int sequence;
	private final int field;

	private V2Rejection(AcknowledgmentCode acknowledgment, ErrorCode errorCode, String segment, int sequence, int field,
			String userMessage) {
		super(userMessage);
		this.acknowledgment = acknowledgment;
		this.errorCode = errorCode;
		this.segment = segment;
		this.sequence = sequence;
		this.field = field;
	}

	/** AE: the message was understood, but its content cannot be applied. */
	public static V2Rejection error(ErrorCode code, String segment, int field, String userMessage) {
		return new V2Rejection(AcknowledgmentCode.AE, code, segment, 0, field, userMessage);
	}

	/**
	 * AE at one occurrence of a repeating segment (ERR-2.2, 1-based, e.g. the third OBX of the message), so
	 * that the sender's analyst finds the line among many of the same kind.
	 */
	public static V2Rejection error(ErrorCode code, String segment, int sequence, int field, String userMessage) {
		return new V2Rejection(AcknowledgmentCode.AE, code, segment, sequence, field, userMessage);
	}

	/** AE without a location in the message. */
	public static V2Rejection error(ErrorCode code, String userMessage) {
		return error(code, null, 0, userMessage);
	}

	/** AR: the message is refused as a whole (type, version, sender), whatever its content. */
	public static V2Rejection reject(ErrorCode code, String segment, int field, String userMessage) {
		return new V2Rejection(AcknowledgmentCode.AR, code, segment, 0, field, userMessage);
	}

	public AcknowledgmentCode acknowledgment() {
		return acknowledgment;
	}

	public ErrorCode errorCode() {
		return errorCode;
	}

	/** ERR-2.1, or null. */
	public String segment() {
		return segment;
	}

	/** ERR-2.2, or 0 (then 1 is written: HAPI's ERR-2 always has a sequence). */
	public int sequence() {
		return sequence;
	}

	/** ERR-2.3, or 0. */
	public int field() {
		return field;
	}

	public String userMessage() {
		return getMessage();
	}
}
