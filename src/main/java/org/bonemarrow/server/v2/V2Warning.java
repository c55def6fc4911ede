package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.ErrorCode;

/**
 * Something the gateway stored but did not fully understand, reported in the AA acknowledgment as an ERR
 * segment of severity W (ERR-4, HL7 table 0516): the message was accepted, and the sender's analyst learns
 * what to map. Like {@link V2Rejection}, the text names fields and codes, never patient data.
 *
 * @param segment ERR-2.1, e.g. {@code OBX}
 * @param sequence ERR-2.2, which occurrence of that segment in the message (1-based), or 0
 * @param field ERR-2.3, or 0
 */
public record V2Warning(ErrorCode code, String segment, int sequence, int field, String userMessage) {}
