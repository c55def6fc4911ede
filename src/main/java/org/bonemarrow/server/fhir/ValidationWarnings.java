package org.bonemarrow.server.fhir;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.ResponseDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import jakarta.servlet.http.HttpServletResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;
import org.springframework.stereotype.Component;

/**
 * Warnings about a write that succeeded (a claimed profile the server does not hold) reach the client the ways
 * FHIR R4 offers: in the OperationOutcome of the response ({@code Prefer: return=OperationOutcome}, http.html#ops),
 * in {@code Bundle.entry.response.outcome} of the written entry of a transaction or batch, and, whatever the
 * Prefer header, in an {@code X-FHIR-Request-Validation} header per warning (the header HAPI's
 * RequestValidatingInterceptor uses). Warnings name profiles and locations, never resource content.
 */
@Component
@Interceptor
public class ValidationWarnings implements FhirServerCustomizer {

	static final String HEADER = "X-FHIR-Request-Validation";
	static final int MAX_HEADERS = 10;
	private static final String KEY = ValidationWarnings.class.getName();

	/** Warnings about one written resource; its id is read at response time, once storage has assigned it. */
	private record Pending(IBaseResource resource, OperationOutcome outcome) {}

	@Override
	public void customize(RestfulServer server) {
		server.registerInterceptor(this);
	}

	/** Keeps warnings about a resource written by this request (nothing when there is no client request). */
	public static void record(RequestDetails request, IBaseResource resource, OperationOutcome warnings) {
		if (request == null || warnings.getIssue().isEmpty()) {
			return;
		}
		@SuppressWarnings("unchecked")
		List<Pending> pending = (List<Pending>) request.getUserData().computeIfAbsent(KEY, k -> new ArrayList<Pending>());
		synchronized (pending) {
			pending.add(new Pending(resource, warnings));
		}
	}

	/** Forgets what an attempt that was rolled back recorded, before the request runs again. */
	static void discard(RequestDetails request) {
		request.getUserData().remove(KEY);
	}

	/** The warnings kept for this request so far. */
	static List<OperationOutcome> recorded(RequestDetails request) {
		@SuppressWarnings("unchecked")
		List<Pending> pending = (List<Pending>) request.getUserData().get(KEY);
		return pending == null ? List.of() : pending.stream().map(Pending::outcome).toList();
	}

	@Hook(Pointcut.SERVER_OUTGOING_RESPONSE)
	public boolean addToResponse(RequestDetails request, ResponseDetails response, HttpServletResponse servletResponse) {
		@SuppressWarnings("unchecked")
		List<Pending> pending = (List<Pending>) request.getUserData().get(KEY);
		if (pending == null || pending.isEmpty()) {
			return true;
		}
		addHeaders(pending, servletResponse);
		IBaseResource body = response.getResponseResource();
		if (body instanceof OperationOutcome oo) {
			pending.forEach(p -> p.outcome().getIssue().forEach(i -> oo.addIssue(i.copy())));
		} else if (body instanceof Bundle bundle
				&& (bundle.getType() == Bundle.BundleType.TRANSACTIONRESPONSE || bundle.getType() == Bundle.BundleType.BATCHRESPONSE)) {
			Map<String, Bundle.BundleEntryComponent> byLocation = new HashMap<>();
			for (Bundle.BundleEntryComponent entry : bundle.getEntry()) {
				String location = entry.getResponse().getLocation();
				if (location != null) {
					byLocation.putIfAbsent(new IdType(location).toUnqualifiedVersionless().getValue(), entry);
				}
			}
			pending.forEach(p -> addToEntry(byLocation, p));
		}
		return true;
	}

	/**
	 * At most {@link #MAX_HEADERS} headers: a whole patient record claims a profile per resource (Synthea tags
	 * over a thousand), and response headers are bounded (Tomcat: 8 KB in all) where the body is not.
	 */
	private static void addHeaders(List<Pending> pending, HttpServletResponse servletResponse) {
		int total = pending.stream().mapToInt(p -> p.outcome().getIssue().size()).sum();
		int written = 0;
		for (Pending p : pending) {
			for (OperationOutcome.OperationOutcomeIssueComponent issue : p.outcome().getIssue()) {
				if (written == MAX_HEADERS) {
					servletResponse.addHeader(HEADER, "warning " + (total - written)
							+ " more warnings, in the response OperationOutcome or Bundle.entry.response.outcome");
					return;
				}
				servletResponse.addHeader(HEADER, headerValue(p.resource(), issue));
				written++;
			}
		}
	}

	private static void addToEntry(Map<String, Bundle.BundleEntryComponent> byLocation, Pending p) {
		String written = versionless(p.resource());
		Bundle.BundleEntryComponent entry = written == null ? null : byLocation.get(written);
		if (entry == null) {
			return;
		}
		Resource outcome = entry.getResponse().getOutcome();
		OperationOutcome oo = outcome instanceof OperationOutcome existing ? existing : new OperationOutcome();
		p.outcome().getIssue().forEach(i -> oo.addIssue(i.copy()));
		entry.getResponse().setOutcome(oo);
	}

	private static String headerValue(IBaseResource resource, OperationOutcome.OperationOutcomeIssueComponent issue) {
		String where = versionless(resource);
		String expression = issue.getExpression().isEmpty() ? "" : issue.getExpression().get(0).getValue();
		return issue.getSeverity().toCode() + " " + (where == null ? "" : where + " ") + expression + ": " + issue.getDiagnostics();
	}

	private static String versionless(IBaseResource resource) {
		IIdType id = resource.getIdElement();
		return id == null || !id.hasIdPart() || id.isLocal() ? null : id.toUnqualifiedVersionless().getValue();
	}
}
