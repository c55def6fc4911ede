package org.bonemarrow.server.v2;

import java.util.List;
import org.hl7.fhir.r4.model.Coding;

/**
 * The code maps in force for one sender (FHIR ConceptMaps: the shipped standard maps and the sender's own,
 * {@code bonemarrow.v2.code-maps}), as the pure mappers use them: they never look anything up themselves.
 * {@link V2CodeMaps#forSender} makes one per message; {@link #NONE} translates nothing.
 */
public interface CodeTranslator {

	/**
	 * The FHIR system for a coding-system name (CWE-3) this server does not know, such as a sender's local
	 * {@code 99ACME} or {@code L}, or null when local codes cannot be taken at all (no sender).
	 */
	String localSystem(String v2Name);

	/** The codings the maps translate this source coding to (in map order, no duplicates); empty if none. */
	List<Coding> translate(String system, String code);

	CodeTranslator NONE = new CodeTranslator() {
		@Override
		public String localSystem(String v2Name) {
			return null;
		}

		@Override
		public List<Coding> translate(String system, String code) {
			return List.of();
		}
	};
}
