package org.bonemarrow.server.v2;

import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.model.Composite;
import ca.uhn.hl7v2.model.DataTypeException;
import ca.uhn.hl7v2.model.Primitive;
import ca.uhn.hl7v2.model.Type;
import ca.uhn.hl7v2.model.Varies;
import ca.uhn.hl7v2.model.v251.datatype.ED;
import ca.uhn.hl7v2.model.v251.datatype.RP;
import ca.uhn.hl7v2.model.v251.segment.OBX;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import org.hl7.fhir.r4.model.Attachment;
import org.hl7.fhir.r4.model.DateTimeType;

/**
 * A document beside the results (the signed PDF report) in HL7 v2 and FHIR: OBX-2 {@code ED} (encapsulated
 * data: ED-1 source application, ED-2 type of data, table 0191; ED-3 subtype, table 0291; ED-4 encoding,
 * table 0299; ED-5 the data) and {@code RP} (reference pointer: RP-1 pointer, RP-2 application, RP-3 type,
 * RP-4 subtype) as {@code DiagnosticReport.presentedForm} (an R4 Attachment), after the v2-to-FHIR IG's
 * {@code ED[Attachment]} map, and back. Pure.
 *
 * <p>Laboratories fill ED-2/ED-3 in many ways for one PDF: {@code ^AP^PDF^Base64^...} (table 0191 "other
 * application data" with a subtype that names the format), {@code ^Application^PDF^...},
 * {@code ^application^pdf^...} (the MIME type split in two), {@code ^PDF^^Base64^...} (the format in
 * ED-2), {@code ^TEXT^PDF^...}. All of them are read as {@code application/pdf}: the subtype decides when it
 * names a format, else a MIME type/subtype pair, else the data's own signature ({@code %PDF-}).
 */
public final class V2Attachments {

	/** Table 0291 subtypes (and the common non-table "PDF") to MIME types. Keys in lower case. */
	private static final Map<String, String> SUBTYPES = Map.ofEntries(
			Map.entry("pdf", "application/pdf"),
			Map.entry("jpeg", "image/jpeg"),
			Map.entry("jpg", "image/jpeg"),
			Map.entry("gif", "image/gif"),
			Map.entry("png", "image/png"),
			Map.entry("tiff", "image/tiff"),
			Map.entry("rtf", "application/rtf"),
			Map.entry("html", "text/html"),
			Map.entry("xml", "application/xml"),
			Map.entry("postscript", "application/postscript"),
			Map.entry("octet-stream", "application/octet-stream"),
			Map.entry("dicom", "application/dicom"),
			// A CDA document is XML; no more specific registered media type is claimed for it.
			Map.entry("x-hl7-cda-level-one", "application/xml"));

	/** MIME subtypes to the table 0291 spelling receivers expect, for what goes out. */
	private static final Map<String, String> OUT_SUBTYPES = Map.of(
			"pdf", "PDF", "jpeg", "JPEG", "gif", "GIF", "tiff", "TIFF", "rtf", "RTF", "html", "HTML", "xml", "XML",
			"postscript", "PostScript", "octet-stream", "Octet-stream", "dicom", "DICOM");

	/** MIME top-level types to table 0191 codes (v2.3 and later spellings). */
	private static final Map<String, String> OUT_TYPES = Map.of(
			"application", "Application", "image", "Image", "audio", "Audio", "text", "TEXT", "multipart", "multipart",
			"video", "AP", "model", "AP", "message", "AP");

	private static final java.util.Set<String> MIME_TOP = java.util.Set.of(
			"application", "audio", "image", "text", "video", "multipart", "model", "message");

	private V2Attachments() {}

	/** Whether the OBX carries a document rather than a finding. */
	static boolean isDocument(OBX obx) {
		String type = V2Fields.text(obx.getValueType());
		return "ED".equals(type) || "RP".equals(type);
	}

	/**
	 * The document of an OBX with OBX-2 ED or RP as an Attachment: title from OBX-3's text, creation from
	 * OBX-14. Refused (AE at OBX-5 of the {@code sequence}-th OBX, nothing stored) when the data cannot be
	 * decoded or the pointer is not an absolute http(s) URL.
	 */
	static Attachment fromObx(OBX obx, int sequence) {
		Varies[] values = obx.getObservationValue();
		Type data = values.length == 0 ? null : values[0].getData();
		Attachment a = "ED".equals(V2Fields.text(obx.getValueType())) ? encapsulated(data, sequence) : pointer(data, sequence);
		String title = V2Fields.text(obx.getObservationIdentifier().getText());
		if (title != null) {
			a.setTitle(title);
		}
		DateTimeType created = V2Dates.dateTime(V2Fields.text(obx.getDateTimeOfTheObservation().getTime()), "OBX", 14);
		if (created != null) {
			a.setCreationElement(created);
		}
		return a;
	}

	private static Attachment encapsulated(Type ed, int sequence) {
		String type = component(ed, 2);
		String subtype = component(ed, 3);
		String encoding = component(ed, 4);
		String text = component(ed, 5);
		if (text == null) {
			throw refuse(ErrorCode.REQUIRED_FIELD_MISSING, sequence, "OBX-5 (ED): ED-5 holds no data; nothing was stored");
		}
		byte[] bytes = decode(encoding, text, sequence);
		String contentType = contentType(type, subtype, bytes);
		if ("application/pdf".equals(contentType) && !isPdf(bytes)) {
			throw refuse(ErrorCode.DATA_TYPE_ERROR, sequence, "OBX-5 (ED): ED-2/ED-3 say PDF but the decoded ED-5 does not "
					+ "begin with a PDF header (%PDF-); check the encoding (ED-4); nothing was stored");
		}
		Attachment a = new Attachment().setContentType(contentType).setData(bytes).setSize(bytes.length);
		a.setHash(sha1(bytes));
		return a;
	}

	private static Attachment pointer(Type rp, int sequence) {
		String pointer = component(rp, 1);
		if (pointer == null) {
			throw refuse(ErrorCode.REQUIRED_FIELD_MISSING, sequence, "OBX-5 (RP): RP-1 holds no pointer; nothing was stored");
		}
		String url = pointer;
		// RP-2 (HD) may name a URI base (HD-2 with HD-3 "URI") that RP-1 is relative to.
		String base = rp instanceof RP r ? V2Fields.text(r.getApplicationID().getUniversalID()) : null;
		String baseType = rp instanceof RP r ? V2Fields.text(r.getApplicationID().getUniversalIDType()) : null;
		if (!isHttpUrl(url) && base != null && "URI".equalsIgnoreCase(baseType) && isHttpUrl(base)) {
			url = base.endsWith("/") || pointer.startsWith("/") ? base + pointer : base + "/" + pointer;
		}
		if (!isHttpUrl(url)) {
			throw refuse(ErrorCode.DATA_TYPE_ERROR, sequence, "OBX-5 (RP): RP-1 is not an absolute http(s) URL (nor relative "
					+ "to an RP-2 URI base); the receiver of the report could not fetch the document; nothing was stored");
		}
		Attachment a = new Attachment().setUrl(url);
		String contentType = contentType(component(rp, 3), component(rp, 4), null);
		if (contentType == null && url.toLowerCase(Locale.ROOT).matches(".*\\.pdf([?#].*)?")) {
			contentType = "application/pdf";
		}
		if (contentType != null) {
			a.setContentType(contentType);
		}
		return a;
	}

	/** ED-4 (table 0299): Base64 or Hex. "A" (displayable ASCII) cannot carry a PDF, and is refused with the rest. */
	static byte[] decode(String encoding, String text, int sequence) {
		String compact = text.replaceAll("\\s+", "");
		if ("base64".equalsIgnoreCase(encoding)) {
			try {
				return Base64.getDecoder().decode(compact);
			} catch (IllegalArgumentException e) {
				throw refuse(ErrorCode.DATA_TYPE_ERROR, sequence, "OBX-5 (ED): ED-4 says Base64 but ED-5 is not valid Base64 "
						+ "(RFC 4648 alphabet A-Z a-z 0-9 + / with = padding); nothing was stored");
			}
		}
		if ("hex".equalsIgnoreCase(encoding)) {
			try {
				return HexFormat.of().parseHex(compact);
			} catch (IllegalArgumentException e) {
				throw refuse(ErrorCode.DATA_TYPE_ERROR, sequence, "OBX-5 (ED): ED-4 says Hex but ED-5 is not pairs of hex "
						+ "digits; nothing was stored");
			}
		}
		throw refuse(ErrorCode.TABLE_VALUE_NOT_FOUND, sequence, "OBX-5 (ED): encoding (ED-4) '" + (encoding == null ? "" : encoding)
				+ "' is not supported; send the document as Base64 (or Hex), HL7 table 0299; nothing was stored");
	}

	/**
	 * The MIME type of ED-2/ED-3 (or RP-3/RP-4): the subtype when it names a format (PDF, JPEG...), else ED-2
	 * when it already is a MIME type ({@code application/pdf}) or names a format itself ({@code PDF}), else a
	 * MIME type/subtype pair ({@code application}, {@code pdf}), else what the data's signature says, else
	 * {@code application/octet-stream}. Null only for a pointer that says nothing.
	 */
	static String contentType(String type, String subtype, byte[] data) {
		String t = type == null ? null : type.trim().toLowerCase(Locale.ROOT);
		String s = subtype == null ? null : subtype.trim().toLowerCase(Locale.ROOT);
		if (s != null && SUBTYPES.containsKey(s)) {
			return SUBTYPES.get(s);
		}
		if (t != null && t.matches("[a-z0-9.+-]+/[a-z0-9.+-]+")) {
			return t;
		}
		if (t != null && SUBTYPES.containsKey(t)) {
			return SUBTYPES.get(t);
		}
		if (t != null && s != null && MIME_TOP.contains(t) && s.matches("[a-z0-9.+-]+")) {
			return t + "/" + s;
		}
		if (data != null) {
			if (isPdf(data)) {
				return "application/pdf";
			}
			return "text".equals(t) ? "text/plain" : "application/octet-stream";
		}
		return null;
	}

	/** A PDF starts with {@code %PDF-}; readers accept it within the first 1024 bytes (ISO 32000-1, annex H). */
	static boolean isPdf(byte[] data) {
		String head = new String(data, 0, Math.min(data.length, 1024), StandardCharsets.ISO_8859_1);
		return head.contains("%PDF-");
	}

	/** ED-2 and ED-3 (or RP-3 and RP-4) for a MIME type: table 0191 and 0291 spellings where there are ones. */
	static String[] v2Type(String contentType) {
		if (contentType == null || !contentType.contains("/")) {
			return new String[] {"AP", null};
		}
		String mime = contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
		String top = mime.substring(0, mime.indexOf('/'));
		String sub = mime.substring(mime.indexOf('/') + 1);
		return new String[] {OUT_TYPES.getOrDefault(top, "AP"), OUT_SUBTYPES.getOrDefault(sub, sub)};
	}

	/** Writes an inline Attachment into an ED: ED-2/ED-3 from its content type, ED-4 Base64, ED-5 the data. */
	static void toEd(ED ed, Attachment a) throws DataTypeException {
		String[] type = v2Type(a.getContentType());
		ed.getTypeOfData().setValue(type[0]);
		if (type[1] != null) {
			ed.getDataSubtype().setValue(type[1]);
		}
		ed.getEncoding().setValue("Base64");
		ed.getData().setValue(Base64.getEncoder().encodeToString(a.getData()));
	}

	/** Writes a URL Attachment into an RP: RP-1 the URL, RP-3/RP-4 its content type when known. */
	static void toRp(RP rp, Attachment a) throws DataTypeException {
		rp.getPointer().setValue(a.getUrl());
		if (a.hasContentType()) {
			String[] type = v2Type(a.getContentType());
			rp.getTypeOfData().setValue(type[0]);
			if (type[1] != null) {
				rp.getSubtype().setValue(type[1]);
			}
		}
	}

	static boolean isHttpUrl(String url) {
		if (url == null) {
			return false;
		}
		try {
			URI uri = new URI(url);
			return uri.isAbsolute() && ("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
					&& uri.getHost() != null;
		} catch (URISyntaxException e) {
			return false;
		}
	}

	/**
	 * The {@code index}-th (1-based) component of ED or RP as HAPI parsed it: the typed composite when OBX-2
	 * made HAPI pick it, else whatever composite it built; a primitive is its first component.
	 */
	private static String component(Type data, int index) {
		try {
			if (data instanceof Composite c) {
				Type[] parts = c.getComponents();
				if (index > parts.length) {
					return null;
				}
				Type part = parts[index - 1];
				if (part instanceof Primitive p) {
					return V2Fields.text(p);
				}
				if (part instanceof Composite inner && inner.getComponents().length > 0
						&& inner.getComponents()[0] instanceof Primitive p) {
					return V2Fields.text(p);
				}
				return null;
			}
			if (data instanceof Primitive p && index == 1) {
				return V2Fields.text(p);
			}
			if (data instanceof Varies v) {
				return component(v.getData(), index);
			}
			return null;
		} catch (RuntimeException e) {
			return null;
		}
	}

	private static byte[] sha1(byte[] data) {
		try {
			// Attachment.hash is the SHA-1 of the data (FHIR R4 Attachment).
			return MessageDigest.getInstance("SHA-1").digest(data);
		} catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException(e);
		}
	}

	private static V2Rejection refuse(ErrorCode code, int sequence, String message) {
		return V2Rejection.error(code, "OBX", sequence, 5, message);
	}
}
