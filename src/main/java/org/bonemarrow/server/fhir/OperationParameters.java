package org.bonemarrow.server.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.rest.api.Constants;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.api.RequestTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Parameters;

/**
 * The parameters of a FHIR operation as HAPI will bind them: the URL's, and for a POST also those of the
 * {@code Parameters} body (FHIR R4 "Operations": both forms are the same call). HAPI parses the body only
 * when it invokes the operation, after the interceptors that decide about the request, so those read it
 * here (the body is buffered, reading it again is free) and may rewrite it before HAPI does.
 */
public final class OperationParameters {

	private final Map<String, String[]> url;
	private final Parameters body;

	private OperationParameters(Map<String, String[]> url, Parameters body) {
		this.url = url;
		this.body = body;
	}

	/** What cannot be read as a Parameters body is left for HAPI to refuse. */
	public static OperationParameters of(RequestDetails request, FhirContext ctx) {
		return new OperationParameters(request.getParameters(), postedParameters(request, ctx).orElse(null));
	}

	/** Every value given for the name, as strings (a Coding as {@code system|code}). */
	public List<String> values(String name) {
		List<String> values = new ArrayList<>();
		String[] inUrl = url.get(name);
		if (inUrl != null) {
			values.addAll(List.of(inUrl));
		}
		if (body != null) {
			for (Parameters.ParametersParameterComponent p : body.getParameter()) {
				if (!name.equals(p.getName()) || p.getValue() == null) {
					continue;
				}
				if (p.getValue() instanceof Coding coding) {
					values.add((coding.hasSystem() ? coding.getSystem() : "") + "|" + (coding.hasCode() ? coding.getCode() : ""));
				} else if (p.getValue().isPrimitive()) {
					values.add(p.getValue().primitiveValue());
				}
			}
		}
		return values;
	}

	public Optional<String> first(String name) {
		return values(name).stream().findFirst();
	}

	/**
	 * Takes these parameters out of the request (URL and body), so that HAPI does not see them; for a
	 * POST the body HAPI will parse is replaced.
	 */
	public static void remove(RequestDetails request, FhirContext ctx, Set<String> names) {
		Map<String, String[]> params = new java.util.HashMap<>(request.getParameters());
		if (params.keySet().removeAll(names)) {
			request.setParameters(params);
		}
		postedParameters(request, ctx).ifPresent(parameters -> {
			if (parameters.getParameter().removeIf(p -> names.contains(p.getName()))) {
				EncodingEnum encoding = EncodingEnum.forContentType(request.getHeader(Constants.HEADER_CONTENT_TYPE));
				request.setRequestContents(encoding.newParser(ctx).encodeResourceToString(parameters)
						.getBytes(StandardCharsets.UTF_8));
			}
		});
	}

	private static Optional<Parameters> postedParameters(RequestDetails request, FhirContext ctx) {
		if (request.getRequestType() != RequestTypeEnum.POST) {
			return Optional.empty();
		}
		EncodingEnum encoding = EncodingEnum.forContentType(request.getHeader(Constants.HEADER_CONTENT_TYPE));
		byte[] bytes = request.loadRequestContents();
		if (encoding == null || bytes == null || bytes.length == 0) {
			return Optional.empty();
		}
		try {
			IBaseResource parsed = encoding.newParser(ctx).parseResource(new String(bytes, StandardCharsets.UTF_8));
			return parsed instanceof Parameters parameters ? Optional.of(parameters) : Optional.empty();
		} catch (DataFormatException e) {
			return Optional.empty();
		}
	}
}
