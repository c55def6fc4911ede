package org.bonemarrow.server.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Hostile-input guard on /fhir and /hl7v2, after authentication and before any parser: URLs over the
 * length limit (414), Swagger UI files that do not exist (404; HAPI would answer 500), search values with
 * out-of-range numbers or NUL (400), bodies over the size limit (413, also for chunked bodies without a
 * length, and for gzip bodies that inflate past it), content types and content codings the endpoint does
 * not read (415), and what {@link RequestBodyInspector} refuses in the body (400). The body is read once
 * here, up to the limit, inflated if it was sent gzip-compressed, and replayed to the endpoint as plain
 * content, so the limits apply to exactly what the parser reads. Nothing is stored for a refused request,
 * because nothing downstream runs.
 *
 * <p>A client's {@code X-Request-ID} that is not a short plain token is hidden from the endpoint: HAPI
 * takes that header as the request id and writes it into the audit trail, so it would otherwise let any
 * client put 3,000 characters of its choosing into every AuditEvent. HAPI makes up its own id instead.
 */
public class RequestLimitsFilter extends OncePerRequestFilter {

	/** Request ids HAPI may take from the client: short, and only the characters HAPI itself keeps. */
	static final Pattern SAFE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
	static final String REQUEST_ID = "X-Request-ID";
	private static final String CONTENT_ENCODING = "Content-Encoding";
	private static final String FORM = "application/x-www-form-urlencoded";
	private static final int MAX_AUDITED_PATH = 200;
	/** {@code /fhir/Patient/<anything>} -> {@code /fhir/Patient}. */
	private static final Pattern LONG_PATH = Pattern.compile("^(.*?/fhir/[^/]*).*$", Pattern.DOTALL);

	private final SecurityProperties.Limits limits;
	private final BiConsumer<HttpServletRequest, Integer> refusals;

	public RequestLimitsFilter(SecurityProperties.Limits limits, BiConsumer<HttpServletRequest, Integer> refusals) {
		this.limits = limits;
		this.refusals = refusals;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		int urlLength = request.getRequestURI().length()
				+ (request.getQueryString() == null ? 0 : request.getQueryString().length() + 1);
		if (urlLength > limits.maxUrlLength()) {
			refuse(request, response, 414, "The URL is " + urlLength + " characters long; the limit is "
					+ limits.maxUrlLength() + " (bonemarrow.security.limits.max-url-length). "
					+ "Send long searches as POST <type>/_search with a form body.");
			return;
		}
		if (!SwaggerUiFiles.servable(request.getPathInfo())) {
			refuse(request, response, 404, "No such Swagger UI file; the Swagger UI is at /fhir/swagger-ui/");
			return;
		}
		Map<String, String> headers = new HashMap<>();
		String requestId = request.getHeader(REQUEST_ID);
		if (requestId != null && !SAFE_REQUEST_ID.matcher(requestId).matches()) {
			headers.put(REQUEST_ID.toLowerCase(Locale.ROOT), null);
		}
		boolean v2 = request.getRequestURI().startsWith(request.getContextPath() + "/hl7v2");
		boolean body = hasBody(request);
		boolean form = body && FORM.equals(RequestBodyInspector.mediaType(request.getContentType()));
		// The caller is known here (the bearer token was verified before this filter); a client may have a
		// larger limit of its own (bonemarrow.security.limits.clients), e.g. the loader of whole records.
		SecurityProperties.Applied<org.springframework.util.unit.DataSize> size = limits.requestSizeFor(
				CallerIdentity.of(request).map(CallerIdentity::clientId).orElse(null));
		long max = size.value().toBytes();
		boolean gzip = false;
		if (body) {
			if (request.getContentLengthLong() > max) {
				refuse(request, response, 413, tooLarge(max, size.setting()));
				return;
			}
			Optional<RequestBodyInspector.Refusal> refusal = RequestBodyInspector.contentType(request.getContentType(), v2);
			if (refusal.isPresent()) {
				refuse(request, response, refusal.get().status(), refusal.get().message());
				return;
			}
			String coding = contentCoding(request);
			gzip = "gzip".equals(coding) || "x-gzip".equals(coding);
			// HAPI inflates gzip itself (and nothing else); the container parses a form body as it is.
			if (!(coding.isEmpty() || "identity".equals(coding) || (gzip && !form))) {
				String shown = coding.length() > 40 ? coding.substring(0, 40) + "..." : coding;
				refuse(request, response, 415, "Content-Encoding '" + shown + "' is not accepted"
						+ (form ? " for a form body" : "") + "; send the body uncompressed"
						+ (form ? "." : " or gzip-compressed (Content-Encoding: gzip)."));
				return;
			}
		}
		if (!v2) {
			// Query string, and for POST _search the form body, which the container parses itself (capped by
			// its own max-http-form-post-size) and HAPI reads back from the same parameter map.
			Optional<RequestBodyInspector.Refusal> refusal = RequestBodyInspector.parameters(request.getParameterMap());
			if (refusal.isPresent()) {
				refuse(request, response, refusal.get().status(), refusal.get().message());
				return;
			}
		}
		if (!body || form) {
			chain.doFilter(wrap(request, null, headers), response);
			return;
		}
		byte[] content = readUpTo(request.getInputStream(), max + 1);
		if (content.length > max) {
			refuse(request, response, 413, tooLarge(max, size.setting()));
			return;
		}
		if (gzip) {
			try {
				// Inflated only up to the limit: a gzip bomb stops costing memory at max + 1 bytes.
				content = readUpTo(new GZIPInputStream(new ByteArrayInputStream(content)), max + 1);
			} catch (ZipException | java.io.EOFException notGzip) {
				refuse(request, response, 400, "The body is declared gzip-compressed (Content-Encoding: gzip) "
						+ "but is not valid gzip data.");
				return;
			}
			if (content.length > max) {
				refuse(request, response, 413, "The gzip-compressed body inflates to more than the limit of " + max
						+ " bytes (" + size.setting() + ").");
				return;
			}
			// The endpoint gets the inflated body as plain content; HAPI must not inflate it again.
			headers.put(CONTENT_ENCODING.toLowerCase(Locale.ROOT), null);
		}
		Optional<RequestBodyInspector.Refusal> refusal = RequestBodyInspector.body(content, request.getContentType(),
				limits.maxDepth());
		if (refusal.isPresent()) {
			refuse(request, response, refusal.get().status(), refusal.get().message());
			return;
		}
		headers.put("content-length", String.valueOf(content.length));
		headers.put("transfer-encoding", null);
		chain.doFilter(wrap(request, content, headers), response);
	}

	private static boolean hasBody(HttpServletRequest request) {
		String method = request.getMethod();
		boolean writes = "POST".equals(method) || "PUT".equals(method) || "PATCH".equals(method);
		return writes && (request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null);
	}

	/** The request's content coding, lower case; empty when none is declared. */
	private static String contentCoding(HttpServletRequest request) {
		Enumeration<String> values = request.getHeaders(CONTENT_ENCODING);
		StringBuilder codings = new StringBuilder();
		while (values != null && values.hasMoreElements()) {
			String value = values.nextElement().trim();
			if (!value.isEmpty()) {
				codings.append(codings.isEmpty() ? "" : ", ").append(value);
			}
		}
		return codings.toString().toLowerCase(Locale.ROOT);
	}

	private static HttpServletRequest wrap(HttpServletRequest request, byte[] body, Map<String, String> headers) {
		return body == null && headers.isEmpty() ? request : new CheckedRequest(request, body, headers);
	}

	private static String tooLarge(long max, String setting) {
		return "Request body exceeds the limit of " + max + " bytes (" + setting + ").";
	}

	private void refuse(HttpServletRequest request, HttpServletResponse response, int status, String message)
			throws IOException {
		refusals.accept(auditable(request), status);
		IssueType type = status == 413 || status == 414 ? IssueType.TOOCOSTLY
				: status == 415 ? IssueType.NOTSUPPORTED : status == 404 ? IssueType.NOTFOUND : IssueType.SECURITY;
		OutcomeResponses.write(response, status, type, message);
	}

	/**
	 * The request as the audit trail may record it: an over-long path (the 414 case) is cut after the resource
	 * type, so the refusal is recorded against the type instead of a client-chosen "id" of kilobytes.
	 */
	private static HttpServletRequest auditable(HttpServletRequest request) {
		String uri = request.getRequestURI();
		if (uri.length() <= MAX_AUDITED_PATH) {
			return request;
		}
		String shortened = LONG_PATH.matcher(uri).replaceFirst("$1");
		return new HttpServletRequestWrapper(request) {
			@Override
			public String getRequestURI() {
				return shortened.length() <= MAX_AUDITED_PATH ? shortened : "";
			}
		};
	}

	private static byte[] readUpTo(InputStream in, long limit) throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		byte[] buffer = new byte[8192];
		long total = 0;
		int n;
		while (total < limit && (n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - total))) != -1) {
			out.write(buffer, 0, n);
			total += n;
		}
		return out.toByteArray();
	}

	/**
	 * The request as the endpoint may see it: the body already read (and inflated), served again from
	 * memory, and headers replaced or hidden (a null value hides the header).
	 */
	private static final class CheckedRequest extends HttpServletRequestWrapper {
		private final byte[] body;
		private final Map<String, String> headers;

		CheckedRequest(HttpServletRequest request, byte[] body, Map<String, String> headers) {
			super(request);
			this.body = body;
			this.headers = headers;
		}

		@Override
		public String getHeader(String name) {
			String key = name.toLowerCase(Locale.ROOT);
			return headers.containsKey(key) ? headers.get(key) : super.getHeader(name);
		}

		@Override
		public Enumeration<String> getHeaders(String name) {
			String key = name.toLowerCase(Locale.ROOT);
			if (!headers.containsKey(key)) {
				return super.getHeaders(name);
			}
			String value = headers.get(key);
			return Collections.enumeration(value == null ? java.util.List.of() : java.util.List.of(value));
		}

		@Override
		public Enumeration<String> getHeaderNames() {
			java.util.List<String> names = new java.util.ArrayList<>();
			for (Enumeration<String> e = super.getHeaderNames(); e.hasMoreElements(); ) {
				String name = e.nextElement();
				String key = name.toLowerCase(Locale.ROOT);
				if (!headers.containsKey(key) || headers.get(key) != null) {
					names.add(name);
				}
			}
			return Collections.enumeration(names);
		}

		@Override
		public int getIntHeader(String name) {
			String value = getHeader(name);
			return value == null ? -1 : Integer.parseInt(value);
		}

		@Override
		public ServletInputStream getInputStream() throws IOException {
			if (body == null) {
				return super.getInputStream();
			}
			ByteArrayInputStream in = new ByteArrayInputStream(body);
			return new ServletInputStream() {
				@Override
				public int read() {
					return in.read();
				}

				@Override
				public int read(byte[] b, int off, int len) {
					return in.read(b, off, len);
				}

				@Override
				public boolean isFinished() {
					return in.available() == 0;
				}

				@Override
				public boolean isReady() {
					return true;
				}

				@Override
				public void setReadListener(ReadListener listener) {
					throw new UnsupportedOperationException("synchronous reads only");
				}
			};
		}

		@Override
		public BufferedReader getReader() throws IOException {
			if (body == null) {
				return super.getReader();
			}
			Charset charset = getCharacterEncoding() == null ? StandardCharsets.UTF_8 : Charset.forName(getCharacterEncoding());
			return new BufferedReader(new InputStreamReader(getInputStream(), charset));
		}

		@Override
		public int getContentLength() {
			return body == null ? super.getContentLength() : body.length;
		}

		@Override
		public long getContentLengthLong() {
			return body == null ? super.getContentLengthLong() : body.length;
		}
	}
}
