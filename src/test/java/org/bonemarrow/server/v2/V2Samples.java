package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.HL7Exception;
import ca.uhn.hl7v2.model.Message;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The committed messages of {@code sample-bundles/v2/}, made unique per call like
 * {@link org.bonemarrow.server.support.SampleBundles}: every sample identifier (MRN-V2-..., PO-V2-...,
 * FO-V2-..., SP-V2-...) gets a suffix, so a test can send a sample into the shared database as often as it
 * likes and see only its own patient, order and report. The files use line feeds between segments; what is
 * sent uses carriage returns, as on the wire.
 */
final class V2Samples {

	static final Path DIR = Path.of("sample-bundles/v2");
	private static final Pattern SAMPLE_ID = Pattern.compile("\\b(?:MRN|PO|FO|SP)-V2-\\d+(?:-[A-Z](?![A-Za-z0-9]))?");
	private static final Pattern MSH_3 = Pattern.compile("^(MSH\\|[^|]*\\|)([^|]*)");

	private V2Samples() {}

	/** The file exactly as committed. */
	static String raw(String file) {
		try {
			return Files.readString(DIR.resolve(file));
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/** The sample with carriage returns between segments and its identifiers suffixed. */
	static String unique(String file, String suffix) {
		return suffixed(raw(file).strip().replace("\r\n", "\r").replace('\n', '\r'), suffix);
	}

	/** Any text (e.g. an expected URL of the manifest) with the sample identifiers in it suffixed, as {@link #unique}. */
	static String suffixed(String text, String suffix) {
		Matcher m = SAMPLE_ID.matcher(text);
		StringBuilder out = new StringBuilder();
		while (m.find()) {
			m.appendReplacement(out, Matcher.quoteReplacement(m.group() + "-" + suffix));
		}
		m.appendTail(out);
		return out.toString();
	}

	static String unique(String file) {
		return unique(file, newSuffix());
	}

	static String newSuffix() {
		return UUID.randomUUID().toString().substring(0, 8).toUpperCase();
	}

	/** The same message from another sending application (MSH-3). */
	static String withSendingApplication(String er7, String application) {
		return MSH_3.matcher(er7).replaceFirst("$1" + Matcher.quoteReplacement(application));
	}

	/** Parsed into the v2.5.1 structures, as the gateway parses it. */
	static Message parse(String er7) {
		try {
			return V2Hapi.parsingContext().getPipeParser().parse(er7);
		} catch (HL7Exception e) {
			throw new IllegalStateException(e);
		}
	}

	/** An identifier of the sample with its suffix, e.g. {@code id("PO-V2-0001", s)}. */
	static String id(String sampleId, String suffix) {
		return sampleId + "-" + suffix;
	}
}
