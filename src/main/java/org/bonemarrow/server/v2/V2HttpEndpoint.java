package org.bonemarrow.server.v2;

import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.bonemarrow.server.security.CallerIdentity;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * The HTTP transport: {@code POST /hl7v2} with one ER7 message as the body ({@code x-application/hl7-v2+er7},
 * {@code application/hl7-v2} or {@code text/plain}; UTF-8 unless the content type names another charset).
 * The answer is the ACK, ER7, with HTTP 200 whatever its MSA-1 (AA, AE or AR), as the HL7 over HTTP
 * convention has it. 400 when the body has no readable MSH (there is nothing to acknowledge), 401 without a
 * verified caller: the sender is the OAuth client of the bearer token ({@link CallerIdentity}, set by the
 * security filter), with its role's scopes; MSH-3 is not trusted over HTTP.
 */
@RestController
@ConditionalOnProperty(name = "bonemarrow.v2.http.enabled", havingValue = "true", matchIfMissing = true)
public class V2HttpEndpoint {

	public static final String PATH = "/hl7v2";
	public static final String ER7 = "x-application/hl7-v2+er7";
	public static final MediaType ER7_UTF8 = new MediaType("x-application", "hl7-v2+er7", StandardCharsets.UTF_8);

	private final V2InboundProcessor processor;

	public V2HttpEndpoint(V2InboundProcessor processor) {
		this.processor = processor;
	}

	@PostMapping(path = PATH, consumes = {ER7, "application/hl7-v2", MediaType.TEXT_PLAIN_VALUE})
	public ResponseEntity<String> receive(@RequestBody byte[] body, HttpServletRequest request,
			@RequestHeader(HttpHeaders.CONTENT_TYPE) MediaType contentType) {
		Optional<CallerIdentity> caller = CallerIdentity.of(request);
		if (caller.isEmpty()) {
			return ResponseEntity.status(HttpStatus.UNAUTHORIZED)
					.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
					.contentType(MediaType.TEXT_PLAIN)
					.body("A bearer token is required: HL7 v2 senders are OAuth clients with a role (see README, Security).\n");
		}
		Charset charset = contentType.getCharset() != null ? contentType.getCharset() : StandardCharsets.UTF_8;
		V2InboundProcessor.Result result = processor.process(new String(body, charset), header -> caller);
		if (!result.readable()) {
			return ResponseEntity.badRequest().contentType(MediaType.TEXT_PLAIN)
					.body("The body is not an HL7 v2 message: it must be one ER7 (pipe-delimited) message starting with MSH.\n");
		}
		return ResponseEntity.ok().contentType(ER7_UTF8).body(result.ack());
	}
}
