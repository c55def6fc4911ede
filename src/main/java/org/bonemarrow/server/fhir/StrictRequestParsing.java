package org.bonemarrow.server.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.parser.IParserErrorHandler;
import ca.uhn.fhir.parser.LenientErrorHandler;
import ca.uhn.fhir.parser.StrictErrorHandler;
import ca.uhn.fhir.parser.json.BaseJsonLikeValue.ScalarType;
import ca.uhn.fhir.parser.json.BaseJsonLikeValue.ValueType;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.RestfulServerUtils;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.bonemarrow.server.fhir.ParseProblemLocator.Kind;
import org.bonemarrow.server.fhir.ParseProblemLocator.Problem;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.OperationOutcome.IssueSeverity;
import org.hl7.fhir.r4.model.OperationOutcome.IssueType;

/**
 * No silent data loss on write (issue 14): content a client sends that FHIR R4 does not define (an unknown
 * or misspelt element, an R5 element, an unknown XML attribute, a JSON value of the wrong type, a repeat of
 * an element R4 allows once, an extension without url, a contained resource without id) is refused instead
 * of being dropped by HAPI's default {@link LenientErrorHandler}, which only logs it. Extensions are never
 * unknown (any url is allowed in extension/modifierExtension) and fhir_comments is legal R4 JSON.
 *
 * <p>HAPI decides: its parser calls this error handler for each such finding. The handler is set on the
 * server's FhirContext (the REST server creates its parsers from it, ResourceParameter#loadResourceFromRequest)
 * but is strict only on the request thread between handler selection and the call of the handling method,
 * which is exactly when the request body is parsed. Everything else using the shared context (the package
 * installer, subscription delivery, the v2 gateway, validation, and HAPI JPA's own reads, which bring their
 * own lenient handler) keeps HAPI's lenient behaviour. A transaction or batch Bundle is parsed whole, with its
 * entries and their contained resources, before any entry runs, so a refusal stores no entry.
 *
 * <p>Answered 400 Bad Request, as HAPI answers every body it cannot parse: FHIR R4 http.html#create (and #update) gives
 * 400 for "resource could not be parsed or failed basic FHIR validation rules" and keeps 422 for profile and
 * business rule violations. The OperationOutcome has one issue per problem, code {@code structure}, with the
 * element in issue.diagnostics and its FHIRPath in issue.expression (and issue.location, as HAPI's validator
 * fills both), found by {@link ParseProblemLocator}.
 */
@Interceptor
public class StrictRequestParsing implements FhirServerCustomizer {

	/** The request whose body is being parsed on this thread; null outside that window. */
	private static final ThreadLocal<RequestDetails> PARSING = new ThreadLocal<>();

	private final ParsingMode mode;

	public StrictRequestParsing(ParsingMode mode) {
		this.mode = mode;
	}

	/** Lenient: nothing is registered and the context keeps HAPI's default LenientErrorHandler. */
	@Override
	public void customize(RestfulServer server) {
		if (mode == ParsingMode.LENIENT) {
			return;
		}
		FhirContext context = server.getFhirContext();
		context.setParserErrorHandler(new Handler(new ParseProblemLocator(context)));
		server.registerInterceptor(this);
	}

	/**
	 * The method that will handle the request is chosen; its parameters, the body among them, come next.
	 * Last of this pointcut's hooks, and {@link #bodyParsed} first of its own, so that no other interceptor
	 * runs inside the strict window.
	 */
	@Hook(value = Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED, order = Integer.MAX_VALUE)
	public void bodyParsingStarts(RequestDetails request) {
		PARSING.set(request);
	}

	/**
	 * Parameters are built (HAPI calls this before the handling method); nothing after this is the client's
	 * body. HAPI skips this pointcut only for a method binding without an operation type, none of which takes
	 * a resource body; the window then closes at {@link #requestDone}.
	 */
	@Hook(value = Pointcut.SERVER_INCOMING_REQUEST_PRE_HANDLED, order = Integer.MIN_VALUE)
	public void bodyParsed() {
		PARSING.remove();
	}

	/** Always called last (also after an error), so the thread goes back to its pool lenient. */
	@Hook(Pointcut.SERVER_PROCESSING_COMPLETED)
	public void requestDone() {
		PARSING.remove();
	}

	/** Strict for the request body being parsed on this thread, HAPI's default everywhere else. */
	static final class Handler implements IParserErrorHandler {

		private static final LenientErrorHandler LENIENT = new LenientErrorHandler();
		private static final StrictErrorHandler STRICT = new StrictErrorHandler();

		/** Enough to fix a sender's mapping in one go; more would only repeat the same mistake. */
		private static final int MAX_ISSUES = 100;
		private static final int MAX_TEXT = 500;

		private final ParseProblemLocator locator;

		Handler(ParseProblemLocator locator) {
			this.locator = locator;
		}

		@Override
		public void unknownElement(IParseLocation location, String name) {
			if (strict()) {
				throw refusal(Kind.UNKNOWN_ELEMENT, name, "Unknown element '" + name
						+ "': FHIR R4 does not define it here (a misspelling, or an element of another FHIR version?)."
						+ " Nothing was stored.");
			}
			LENIENT.unknownElement(location, name);
		}

		@Override
		public void unknownAttribute(IParseLocation location, String name) {
			if (strict()) {
				throw refusal(Kind.UNKNOWN_ATTRIBUTE, name, "Unknown attribute '" + name
						+ "': FHIR R4 does not define it here. Nothing was stored.");
			}
			LENIENT.unknownAttribute(location, name);
		}

		@Override
		public void incorrectJsonType(IParseLocation location, String name, ValueType expected,
				ScalarType expectedScalar, ValueType found, ScalarType foundScalar) {
			if (strict()) {
				throw refusal(Kind.WRONG_JSON_TYPE, name, "Element '" + name + "' has the wrong JSON type: expected "
						+ describe(expected, expectedScalar) + ", found " + describe(found, foundScalar)
						+ ". Nothing was stored.");
			}
			LENIENT.incorrectJsonType(location, name, expected, expectedScalar, found, foundScalar);
		}

		@Override
		public void unexpectedRepeatingElement(IParseLocation location, String name) {
			if (strict()) {
				throw refusal(Kind.REPEATED_ELEMENT, name, "Element '" + name
						+ "' appears more than once, but FHIR R4 allows it only once. Nothing was stored.");
			}
			LENIENT.unexpectedRepeatingElement(location, name);
		}

		@Override
		public void missingRequiredElement(IParseLocation location, String name) {
			if (strict()) {
				// HAPI drops an extension without url (R4 ext-1: url is required).
				String parent = location == null ? null : location.getParentElementName();
				throw refusal(null, name, "Required element '" + name + "' is missing"
						+ (parent == null ? "" : " in '" + parent + "'") + ". Nothing was stored.");
			}
			LENIENT.missingRequiredElement(location, name);
		}

		@Override
		public void containedResourceWithNoId(IParseLocation location) {
			if (strict()) {
				// HAPI drops it: R4 references a contained resource by its id (references.html#contained).
				throw refusal(null, null, "A contained resource has no id; R4 requires one. Nothing was stored.");
			}
			LENIENT.containedResourceWithNoId(location);
		}

		@Override
		public void invalidValue(IParseLocation location, String value, String error) {
			// Unchanged in both modes: a non-empty invalid value (a malformed date) is already refused by HAPI's
			// lenient handler, and an empty one ("", which R4 json.html does not allow) carries no data to lose,
			// so HAPI dropping it is kept (clients do send "text": "").
			LENIENT.invalidValue(location, value, error);
		}

		@Override
		public void unknownReference(IParseLocation location, String reference) {
			// References are checked on storage (referential integrity), not here.
			LENIENT.unknownReference(location, reference);
		}

		@Override
		public void invalidInternalReference(IParseLocation location, String reference) {
			LENIENT.invalidInternalReference(location, reference);
		}

		@Override
		public void extensionContainsValueAndNestedExtensions(IParseLocation location) {
			// HAPI's lenient handler already refuses it (R4 ext-1); same message whatever the mode.
			(strict() ? STRICT : LENIENT).extensionContainsValueAndNestedExtensions(location);
		}

		private static boolean strict() {
			return PARSING.get() != null;
		}

		/**
		 * The refusal, with every problem the locator finds in the body when it agrees with HAPI about this
		 * one (so the client can fix them all at once), else this one without a location.
		 */
		private InvalidRequestException refusal(Kind kind, String name, String diagnostics) {
			OperationOutcome outcome = new OperationOutcome();
			List<Problem> located = kind == null ? List.of() : locate(PARSING.get());
			boolean agrees = located.stream().anyMatch(p -> p.kind() == kind && p.name().equals(name))
					|| (kind == Kind.WRONG_JSON_TYPE || kind == Kind.REPEATED_ELEMENT)
					&& located.stream().anyMatch(p -> p.kind() == kind);
			if (agrees) {
				for (Problem problem : located.subList(0, Math.min(located.size(), MAX_ISSUES))) {
					outcome.addIssue().setSeverity(IssueSeverity.ERROR).setCode(IssueType.STRUCTURE)
							.setDiagnostics(shortened(problem.diagnostics()) + " Nothing was stored.")
							.addExpression(shortened(problem.expression()))
							.addLocation(shortened(problem.expression()));
				}
				if (located.size() > MAX_ISSUES) {
					outcome.addIssue().setSeverity(IssueSeverity.ERROR).setCode(IssueType.STRUCTURE).setDiagnostics(
							(located.size() - MAX_ISSUES) + " more problems of the same kinds are not listed.");
				}
			} else {
				outcome.addIssue().setSeverity(IssueSeverity.ERROR).setCode(IssueType.STRUCTURE)
						.setDiagnostics(shortened(diagnostics));
			}
			InvalidRequestException refused = new InvalidRequestException(outcome.getIssueFirstRep().getDiagnostics());
			refused.setOperationOutcome(outcome);
			// Thrown past HAPI's parser (it only wraps DataFormatException) so the outcome reaches the client as is.
			return refused;
		}

		/** Element names are the client's text: a hostile body must not make the answer grow with it. */
		private static String shortened(String text) {
			return text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT) + "...";
		}

		private List<Problem> locate(RequestDetails request) {
			if (request == null) {
				return List.of();
			}
			EncodingEnum encoding = RestfulServerUtils.determineRequestEncodingNoDefault(request);
			if (encoding != EncodingEnum.JSON && encoding != EncodingEnum.XML) {
				return List.of();
			}
			Charset charset = Optional.ofNullable(request.getCharset()).orElse(StandardCharsets.UTF_8);
			return locator.locate(new String(request.loadRequestContents(), charset), encoding == EncodingEnum.XML);
		}

		private static String describe(ValueType type, ScalarType scalar) {
			String kind = switch (type) {
				case ARRAY -> "an array";
				case OBJECT -> "an object";
				case SCALAR -> "a single value";
				case NULL -> "null";
			};
			return scalar == null ? kind : kind + " (" + scalar.name().toLowerCase() + ")";
		}
	}
}
