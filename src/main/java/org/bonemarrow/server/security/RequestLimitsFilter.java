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
import java.util.Optional;
import java.util.function.BiConsumer;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Hostile-input guard on /fhir and /hl7v2, after authentication and before any parser: bodies over the
 * size limit (413, also for chunked bodies without a length), content types the endpoint does not read
 * (415), XML with a DOCTYPE (400), JSON nested deeper than any FHIR resource (400). The body is read once
 * here, up to the limit, and replayed to the endpoint. Nothing is stored for a refused request, because
 * nothing downstream runs.
 */
public class RequestLimitsFilter extends OncePerRequestFilter {

	private final SecurityProperties.Limits limits;
	private final BiConsumer<HttpServletRequest, Integer> refusals;

	public RequestLimitsFilter(SecurityProperties.Limits limits, BiConsumer<HttpServletRequest, Integer> refusals) {
		this.limits = limits;
		this.refusals = refusals;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		if (!hasBody(request)) {
			chain.doFilter(request, response);
			return;
		}
		long max = limits.maxRequestSize().toBytes();
		if (request.getContentLengthLong() > max) {
			refuse(request, response, 413, tooLarge(max));
			return;
		}
		boolean v2 = request.getRequestURI().startsWith(request.getContextPath() + "/hl7v2");
		Optional<RequestBodyInspector.Refusal> refusal = RequestBodyInspector.contentType(request.getContentType(), v2);
		if (refusal.isPresent()) {
			refuse(request, response, refusal.get().status(), refusal.get().message());
			return;
		}
		if ("application/x-www-form-urlencoded".equals(RequestBodyInspector.mediaType(request.getContentType()))) {
			// POST _search: the container parses these parameters itself (and caps them with its own
			// max-http-form-post-size); reading the body here would hide them from it.
			chain.doFilter(request, response);
			return;
		}
		byte[] body = readUpTo(request.getInputStream(), max + 1);
		if (body.length > max) {
			refuse(request, response, 413, tooLarge(max));
			return;
		}
		refusal = RequestBodyInspector.body(body, request.getContentType(), limits.maxJsonDepth());
		if (refusal.isPresent()) {
			refuse(request, response, refusal.get().status(), refusal.get().message());
			return;
		}
		chain.doFilter(new ReplayedBody(request, body), response);
	}

	private static boolean hasBody(HttpServletRequest request) {
		String method = request.getMethod();
		boolean writes = "POST".equals(method) || "PUT".equals(method) || "PATCH".equals(method);
		return writes && (request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null);
	}

	private static String tooLarge(long max) {
		return "Request body exceeds the limit of " + max + " bytes (bonemarrow.security.limits.max-request-size).";
	}

	private void refuse(HttpServletRequest request, HttpServletResponse response, int status, String message)
			throws IOException {
		refusals.accept(request, status);
		IssueType type = status == 413 ? IssueType.TOOCOSTLY : status == 415 ? IssueType.NOTSUPPORTED : IssueType.SECURITY;
		OutcomeResponses.write(response, status, type, message);
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

	/** The request with its body already read, served again from memory. */
	private static final class ReplayedBody extends HttpServletRequestWrapper {
		private final byte[] body;

		ReplayedBody(HttpServletRequest request, byte[] body) {
			super(request);
			this.body = body;
		}

		@Override
		public ServletInputStream getInputStream() {
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
		public BufferedReader getReader() {
			Charset charset = getCharacterEncoding() == null ? StandardCharsets.UTF_8 : Charset.forName(getCharacterEncoding());
			return new BufferedReader(new InputStreamReader(getInputStream(), charset));
		}

		@Override
		public int getContentLength() {
			return body.length;
		}

		@Override
		public long getContentLengthLong() {
			return body.length;
		}
	}
}
