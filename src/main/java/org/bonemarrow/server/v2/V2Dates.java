package org.bonemarrow.server.v2;

import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import ca.uhn.hl7v2.ErrorCode;
import ca.uhn.hl7v2.model.DataTypeException;
import ca.uhn.hl7v2.model.primitive.CommonTS;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.TimeZone;
import org.hl7.fhir.r4.model.BaseDateTimeType;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DateType;

/**
 * v2 DTM/TS values and FHIR date/dateTime, with their precision kept (IG datatype map DTM[dateTime]):
 * {@code 2025} stays a year, {@code 20250217} a date, {@code 202502171130+0100} a dateTime. FHIR needs a
 * time zone once there is a time; a v2 value without an offset is read in the server's time zone.
 * HAPI's {@link CommonTS} checks the format and reads the parts.
 */
public final class V2Dates {

	private static final DateTimeFormatter FHIR_SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX");
	private static final DateTimeFormatter V2_SECONDS = DateTimeFormatter.ofPattern("yyyyMMddHHmmssxx");

	private V2Dates() {}

	/** A DTM as a FHIR dateTime, or null when blank. */
	public static DateTimeType dateTime(String dtm, String segment, int field) {
		if (V2Codes.blank(dtm)) {
			return null;
		}
		CommonTS ts = parse(dtm, segment, field);
		int digits = digits(dtm);
		if (digits <= 8) {
			return new DateTimeType(datePart(ts, digits));
		}
		LocalDateTime local = LocalDateTime.of(ts.getYear(), ts.getMonth(), ts.getDay(), ts.getHour(),
				digits >= 12 ? ts.getMinute() : 0, digits >= 14 ? ts.getSecond() : 0);
		ZoneOffset offset = hasOffset(dtm)
				? ZoneOffset.ofHoursMinutes(ts.getGMTOffset() / 100, ts.getGMTOffset() % 100)
				: ZoneId.systemDefault().getRules().getOffset(local);
		return new DateTimeType(OffsetDateTime.of(local, offset).format(FHIR_SECONDS));
	}

	/** A DTM as a FHIR date (birth dates), or null when blank. */
	public static DateType date(String dtm, String segment, int field) {
		if (V2Codes.blank(dtm)) {
			return null;
		}
		CommonTS ts = parse(dtm, segment, field);
		return new DateType(datePart(ts, Math.min(digits(dtm), 8)));
	}

	/** A FHIR date or dateTime as a v2 DTM with the same precision; null when empty. */
	public static String dtm(BaseDateTimeType value) {
		if (value == null || value.getValue() == null) {
			return null;
		}
		TemporalPrecisionEnum precision = value.getPrecision();
		int year = value.getYear();
		return switch (precision) {
			case YEAR -> String.format("%04d", year);
			case MONTH -> String.format("%04d%02d", year, value.getMonth() + 1);
			case DAY -> String.format("%04d%02d%02d", year, value.getMonth() + 1, value.getDay());
			default -> {
				TimeZone zone = value.getTimeZone() != null ? value.getTimeZone() : TimeZone.getDefault();
				yield OffsetDateTime.ofInstant(value.getValue().toInstant(), zone.toZoneId()).format(V2_SECONDS);
			}
		};
	}

	private static CommonTS parse(String dtm, String segment, int field) {
		try {
			return new CommonTS(dtm);
		} catch (DataTypeException e) {
			throw V2Rejection.error(ErrorCode.DATA_TYPE_ERROR, segment, field,
					segment + "-" + field + ": not a valid HL7 v2 date/time (YYYY[MM[DD[HH[MM[SS]]]]][+/-ZZZZ])");
		}
	}

	private static String datePart(CommonTS ts, int digits) {
		if (digits <= 4) {
			return String.format("%04d", ts.getYear());
		}
		if (digits <= 6) {
			return String.format("%04d-%02d", ts.getYear(), ts.getMonth());
		}
		return String.format("%04d-%02d-%02d", ts.getYear(), ts.getMonth(), ts.getDay());
	}

	private static int digits(String dtm) {
		int n = 0;
		while (n < dtm.length() && Character.isDigit(dtm.charAt(n))) {
			n++;
		}
		return n;
	}

	private static boolean hasOffset(String dtm) {
		return dtm.indexOf('+') > 0 || dtm.indexOf('-') > 0;
	}
}
