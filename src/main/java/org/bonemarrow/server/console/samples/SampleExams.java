package org.bonemarrow.server.console.samples;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.searchparam.SearchParameterMap;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.bonemarrow.server.console.ConsoleUser;
import org.bonemarrow.server.security.CallerIdentity;
import org.bonemarrow.server.security.SmartScopes;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Meta;
import org.hl7.fhir.r4.model.ServiceRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.stereotype.Component;

/**
 * The repository's sample exams ({@code sample-bundles/exam-*.json}, shipped in the jar), offered to a
 * server that holds no exam yet, so a person trying the server sees a worklist and turnaround at once.
 * Each is stored as the transaction it is, through the same path as a transaction posted to /fhir
 * (validation, the workflow adapter, the audit trail naming the console user who asked), each all or nothing.
 */
@Component
public class SampleExams {

	private static final Logger log = LoggerFactory.getLogger(SampleExams.class);
	static final String LOCATION = "classpath:samples/exam-*.json";

	private final IFhirSystemDao<Bundle, Meta> systemDao;
	private final DaoRegistry daos;
	private final FhirContext fhir;
	/** Found once: the jar's contents do not change while it runs (the home page asks on every view). */
	private final List<Resource> bundles;

	public SampleExams(IFhirSystemDao<Bundle, Meta> systemDao, DaoRegistry daos, FhirContext fhir) {
		this.systemDao = systemDao;
		this.daos = daos;
		this.fhir = fhir;
		this.bundles = find();
	}

	/** Offered only while no order (ServiceRequest) is stored at all: never mixed into a lab's real work. */
	public boolean offered() {
		SearchParameterMap any = SearchParameterMap.newSynchronous();
		any.setCount(1);
		any.setLoadSynchronousUpTo(1);
		return !bundles.isEmpty()
				&& daos.getResourceDao(ServiceRequest.class).search(any, new SystemRequestDetails()).isEmpty();
	}

	/** @return how many sample exams were stored */
	public synchronized int load(ConsoleUser user) {
		if (!offered()) {
			return 0;
		}
		SystemRequestDetails request = new SystemRequestDetails();
		// The audit trail names the person, as the console's client (never a FHIR client's scopes).
		request.getUserData().put(CallerIdentity.REQUEST_ATTRIBUTE,
				new CallerIdentity("console:" + user.name(), SmartScopes.parse("system/*.cruds")));
		int stored = 0;
		for (Resource resource : bundles) {
			systemDao.transaction(request, parse(resource));
			stored++;
		}
		log.info("Console: {} sample exams stored at the request of a console user", stored);
		return stored;
	}

	private List<Resource> find() {
		try {
			Resource[] found = new PathMatchingResourcePatternResolver(getClass().getClassLoader()).getResources(LOCATION);
			return Arrays.stream(found).sorted(Comparator.comparing(Resource::getFilename)).toList();
		} catch (IOException e) {
			return List.of();
		}
	}

	private Bundle parse(Resource resource) {
		try (InputStream in = resource.getInputStream()) {
			return fhir.newJsonParser().parseResource(Bundle.class, new String(in.readAllBytes(), StandardCharsets.UTF_8));
		} catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}
}
