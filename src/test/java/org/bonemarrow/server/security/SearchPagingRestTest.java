package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.List;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Patient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 19 M5: a client follows the page links of its own searches (they were 403 for everyone but the
 * auditor), and only its own: another client using the same link is refused.
 */
@FhirServerTest
class SearchPagingRestTest extends RestTestBase {

	private String family;
	private final List<String> patients = new ArrayList<>();

	@BeforeEach
	void fivePatientsOfOneFamily() {
		family = Fixtures.unique("Paged").replace("-", "");
		for (int i = 0; i < 5; i++) {
			Patient p = Fixtures.patient(Fixtures.unique("MRN"));
			p.getNameFirstRep().setFamily(family);
			patients.add(create(p));
		}
	}

	@Test
	void integrationFollowsItsNextLinksToTheEnd() {
		Bundle page = bundle(ok(fhirAs("integration").get("/Patient?family=" + family + "&_count=2")));
		List<String> seen = new ArrayList<>(ids(page));
		int pages = 1;
		while (page.getLink("next") != null) {
			page = bundle(ok(fhirAs("integration").get(relative(page.getLink("next").getUrl()))));
			assertThat(page.getEntry()).allSatisfy(e -> assertThat(e.getResource().fhirType()).isEqualTo("Patient"));
			seen.addAll(ids(page));
			pages++;
		}
		assertThat(pages).isEqualTo(3);
		assertThat(seen).containsExactlyInAnyOrderElementsOf(patients);
	}

	@Test
	void anotherClientCannotFollowThosePageLinks() {
		Bundle first = bundle(ok(fhirAs("integration").get("/Patient?family=" + family + "&_count=2")));
		String next = relative(first.getLink("next").getUrl());
		for (String other : new String[] {"lab", "ehr", "auditor", "department"}) {
			Response r = fhirAs(other).get(next);
			r.then().statusCode(403);
			assertThat(outcome(r).getIssueFirstRep().getDiagnostics())
					.startsWith("Access denied: client '" + other + "' may not follow this page link");
		}
		// Nor inside a batch, where the owner is not checked.
		for (String url : new String[] {next, next.substring(1)}) {
			Bundle batch = new Bundle().setType(Bundle.BundleType.BATCH);
			batch.addEntry().getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl(url);
			fhirAs("lab").body(json(batch)).post("").then().statusCode(403);
		}
		// A made-up page id is refused too.
		fhirAs("integration").get("?_getpages=" + java.util.UUID.randomUUID() + "&_getpagesoffset=2&_count=2")
				.then().statusCode(403);
		// The owner still can.
		assertThat(ids(bundle(ok(fhirAs("integration").get(next))))).hasSize(2);
	}

	@Test
	void labAndAuditorPageTheirOwnSearches() {
		Bundle first = bundle(ok(fhirAs("lab").get("/Patient?family=" + family + "&_count=2")));
		Bundle second = bundle(ok(fhirAs("lab").get(relative(first.getLink("next").getUrl()))));
		assertThat(ids(second)).hasSize(2).doesNotContainAnyElementsOf(ids(first));

		Bundle events = bundle(ok(fhirAs("auditor").get("/AuditEvent?_count=2")));
		Bundle more = bundle(ok(fhirAs("auditor").get(relative(events.getLink("next").getUrl()))));
		assertThat(more.getEntry()).isNotEmpty()
				.allSatisfy(e -> assertThat(e.getResource().fhirType()).isEqualTo("AuditEvent"));
	}

	private static Response ok(Response r) {
		r.then().statusCode(200);
		return r;
	}

	/** {@code http://localhost:1234/fhir?_getpages=...} -> {@code ?_getpages=...} under the base path. */
	private static String relative(String link) {
		return link.substring(link.indexOf("/fhir") + "/fhir".length());
	}

	private static List<String> ids(Bundle b) {
		return b.getEntry().stream()
				.map(e -> e.getResource().getIdElement().toUnqualifiedVersionless().getValue()).toList();
	}
}
