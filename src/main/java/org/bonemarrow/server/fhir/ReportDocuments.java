package org.bonemarrow.server.fhir;

import java.util.Optional;
import java.util.regex.Pattern;
import org.hl7.fhir.r4.model.Binary;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Reference;

/**
 * The signed report a DiagnosticReport carries as {@code presentedForm} when it is a Binary stored here: which
 * urls name one, and whether that Binary is the report's to show. Used wherever a report goes out with its
 * document ({@code $exam-summary}, the HL7 v2 ORU). Pure.
 */
public final class ReportDocuments {

	private static final Pattern LOCAL_BINARY =
			Pattern.compile("Binary/[A-Za-z0-9\\-.]{1,64}(/_history/[A-Za-z0-9\\-.]{1,64})?");

	private ReportDocuments() {}

	/**
	 * {@code Binary/<id>} (optionally versioned) when the url names a Binary of this server: relative, or absolute
	 * under {@code serverBase}; empty for any other url.
	 */
	public static Optional<IdType> localBinary(String url, String serverBase) {
		if (url == null) {
			return Optional.empty();
		}
		String path = url;
		if (serverBase != null && !serverBase.isEmpty() && url.startsWith(serverBase + "/")) {
			path = url.substring(serverBase.length() + 1);
		}
		return LOCAL_BINARY.matcher(path).matches() ? Optional.of(new IdType(path)) : Optional.empty();
	}

	/**
	 * Binary.securityContext, when set, names what the Binary belongs to (FHIR R4 Binary): it must be the report,
	 * its patient or one of its orders for the document to go out with this report. A Binary without one is taken
	 * as the report's (a laboratory posts it in the report's own transaction).
	 */
	public static boolean belongsTo(Binary binary, DiagnosticReport report) {
		if (!binary.hasSecurityContext()) {
			return true;
		}
		Reference context = binary.getSecurityContext();
		Reference self = new Reference(report.getIdElement().toUnqualifiedVersionless().getValue());
		return sameTarget(context, self) || sameTarget(context, report.getSubject())
				|| report.getBasedOn().stream().anyMatch(b -> sameTarget(context, b));
	}

	private static boolean sameTarget(Reference a, Reference b) {
		if (a == null || b == null || !a.hasReference() || !b.hasReference()) {
			return false;
		}
		IdType x = new IdType(a.getReference()).toUnqualifiedVersionless();
		IdType y = new IdType(b.getReference()).toUnqualifiedVersionless();
		return x.hasIdPart() && x.getValue().equals(y.getValue());
	}
}
