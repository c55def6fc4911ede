package org.bonemarrow.server.fhir;

/** How request bodies are parsed ({@code bonemarrow.fhir.parsing}); see {@link StrictRequestParsing}. */
public enum ParsingMode {
	/** Content R4 does not define is refused with 400 and nothing is stored (default). */
	STRICT,
	/** HAPI's default: such content is logged and dropped, and the rest is stored. */
	LENIENT
}
