package org.bonemarrow.server.terminology;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.RestOperationTypeEnum;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.ResponseDetails;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.bonemarrow.server.fhir.FhirServerCustomizer;
import org.bonemarrow.server.fhir.OperationParameters;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.ValueSet;
import org.springframework.stereotype.Component;

/**
 * {@code filter}, {@code offset} and {@code count} of {@code ValueSet/$expand} (FHIR R4
 * https://hl7.org/fhir/R4/valueset-operation-expand.html), applied by us to HAPI's full expansion.
 *
 * <p>Why: with pre-expansion off (config.HapiJpaServerConfig), HAPI expands in memory, and that
 * expansion ignores {@code filter} (every code came back) and treats {@code count} as a ceiling (a
 * {@code count} below the size of the ValueSet was a 500, "too many codes"). Our ValueSets list a few
 * dozen codes at most, so the server expands the whole ValueSet and cuts the window itself:
 * <ul>
 *   <li>{@code filter}: codes whose display or code contains the text, ignoring case (the spec leaves the
 *       matching to the server);</li>
 *   <li>{@code offset} (default 0) and {@code count} (default: all) page through what the filter left;
 *       {@code expansion.total} is that number, {@code expansion.offset} and {@code expansion.parameter}
 *       say which window was returned;</li>
 *   <li>a value that is not a non-negative integer is 400.</li>
 * </ul>
 */
@Component
public class ExpansionWindow implements FhirServerCustomizer {

	static final String FILTER = "filter";
	static final String OFFSET = "offset";
	static final String COUNT = "count";
	private static final String WINDOW = ExpansionWindow.class.getName();

	record Window(String filter, int offset, Integer count) {}

	private final FhirContext ctx;

	public ExpansionWindow(FhirContext ctx) {
		this.ctx = ctx;
	}

	@Override
	public void customize(RestfulServer server) {
		server.registerInterceptor(this);
	}

	/* Before HAPI binds the operation's parameters: HAPI then expands the whole ValueSet. */
	@Hook(Pointcut.SERVER_INCOMING_REQUEST_POST_PROCESSED)
	public void takeWindow(RequestDetails request) {
		if (!isExpand(request)) {
			return;
		}
		OperationParameters given = OperationParameters.of(request, ctx);
		Window window = new Window(given.first(FILTER).filter(f -> !f.isBlank()).orElse(null),
				number(given, OFFSET).orElse(0), number(given, COUNT).orElse(null));
		OperationParameters.remove(request, ctx, Set.of(FILTER, OFFSET, COUNT));
		request.getUserData().put(WINDOW, window);
	}

	/*
	 * On a copy: the expansion HAPI returns is the one its validation support chain caches and the profile
	 * validator checks codes against; cutting it in place would shrink the ValueSet for everyone.
	 */
	@Hook(Pointcut.SERVER_OUTGOING_RESPONSE)
	public void cut(RequestDetails request, ResponseDetails response) {
		if (request.getUserData().get(WINDOW) instanceof Window window
				&& response.getResponseResource() instanceof ValueSet valueSet && valueSet.hasExpansion()) {
			ValueSet copy = valueSet.copy();
			apply(copy.getExpansion(), window);
			response.setResponseResource(copy);
		}
	}

	static void apply(ValueSet.ValueSetExpansionComponent expansion, Window window) {
		List<ValueSet.ValueSetExpansionContainsComponent> matching = expansion.getContains().stream()
				.filter(c -> window.filter() == null || contains(c.getDisplay(), window.filter())
						|| contains(c.getCode(), window.filter()))
				.toList();
		int from = Math.min(window.offset(), matching.size());
		int to = window.count() == null ? matching.size() : (int) Math.min((long) from + window.count(), matching.size());
		expansion.setContains(new java.util.ArrayList<>(matching.subList(from, to)));
		expansion.setTotal(matching.size());
		expansion.setOffset(window.offset());
		expansion.getParameter().removeIf(p -> Set.of(FILTER, OFFSET, COUNT).contains(p.getName()));
		if (window.filter() != null) {
			expansion.addParameter().setName(FILTER).setValue(new StringType(window.filter()));
		}
		expansion.addParameter().setName(OFFSET).setValue(new IntegerType(window.offset()));
		if (window.count() != null) {
			expansion.addParameter().setName(COUNT).setValue(new IntegerType(window.count()));
		}
	}

	private static boolean contains(String text, String filter) {
		return text != null && text.toLowerCase(Locale.ROOT).contains(filter.toLowerCase(Locale.ROOT));
	}

	private static Optional<Integer> number(OperationParameters given, String name) {
		Optional<String> value = given.first(name);
		if (value.isEmpty()) {
			return Optional.empty();
		}
		try {
			int n = Integer.parseInt(value.get().trim());
			if (n >= 0) {
				return Optional.of(n);
			}
		} catch (NumberFormatException e) {
			// refused below
		}
		throw new InvalidRequestException("$expand: " + name + " must be a whole number, 0 or more");
	}

	private static boolean isExpand(RequestDetails request) {
		RestOperationTypeEnum operation = request.getRestOperationType();
		return "$expand".equals(request.getOperation()) && "ValueSet".equals(request.getResourceName())
				&& (operation == RestOperationTypeEnum.EXTENDED_OPERATION_TYPE
						|| operation == RestOperationTypeEnum.EXTENDED_OPERATION_INSTANCE);
	}
}
