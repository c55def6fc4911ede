package org.bonemarrow.server.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.junit.jupiter.api.Test;

/**
 * /fhir/metadata lists what clients of this server can use, and nothing HAPI merely implements: conformance
 * tools and generated clients trust it. (The test context has one more role, test-admin with every scope, so
 * only what no scope reaches is absent here; CapabilityStatementScopesTest checks the production roles.)
 */
@FhirServerTest
class CapabilityStatementTruthTest extends RestTestBase {

	/** HAPI JPA operations no role may call: administration, destructive or merging. */
	private static final Set<String> NEVER = Set.of("expunge", "reindex", "mark-all-resources-for-reindexing",
			"perform-reindexing-pass", "merge", "meta-add", "meta-delete", "hapi.fhir.replace-references",
			"upload-external-code-system", "apply-codesystem-delta-add", "apply-codesystem-delta-remove",
			"trigger-subscription", "reindex-dryrun", "get-resource-counts", "binary-access-write");

	private CapabilityStatement metadata() {
		return parse(anonymous().get("/metadata").then().statusCode(200).extract().response(), CapabilityStatement.class);
	}

	@Test
	void noOperationThatNoRoleMayCallIsListed() {
		CapabilityStatementRestComponent rest = metadata().getRestFirstRep();
		Set<String> listed = new TreeSet<>();
		rest.getOperation().forEach(o -> listed.add(o.getName()));
		rest.getResource().forEach(r -> r.getOperation().forEach(o -> listed.add(r.getType() + "/" + o.getName())));
		assertThat(listed).noneMatch(name -> NEVER.contains(name.substring(name.indexOf('/') + 1)));
		assertThat(listed).contains("ServiceRequest/exam-summary", "delivery-status", "export", "export-poll-status",
				"Patient/export", "Group/export", "Patient/everything", "ValueSet/expand", "ValueSet/validate-code",
				"CodeSystem/lookup", "ConceptMap/translate");
		// Registered by HAPI, allowed to no one.
		assertThat(listed).doesNotContain("CodeSystem/subsumes", "ValueSet/invalidate-expansion");
	}

	@Test
	void theAuditTrailIsListedAsReadOnly() {
		CapabilityStatementRestResourceComponent audit = resource(metadata(), "AuditEvent");
		assertThat(audit.getInteraction()).extracting(i -> i.getCode().toCode())
				.contains("read", "search-type").doesNotContain("create", "update", "delete", "patch");
		assertThat(audit.getConditionalCreate()).isFalse();
		assertThat(audit.getConditionalUpdate()).isFalse();
	}

	@Test
	void whatIsListedAnswersForTheRoleThatHasIt() {
		CapabilityStatement cs = metadata();
		List<String> system = cs.getRestFirstRep().getInteraction().stream().map(i -> i.getCode().toCode()).toList();
		assertThat(system).contains("transaction", "batch");
		Bundle batch = new Bundle().setType(Bundle.BundleType.BATCH);
		batch.addEntry().getRequest().setMethod(Bundle.HTTPVerb.GET).setUrl("ServiceRequest?_count=1");
		Response answered = fhirAs("integration").body(json(batch)).post("/");
		answered.then().statusCode(200);
		assertThat(bundle(answered).getEntryFirstRep().getResponse().getStatus()).startsWith("200");
		if (system.contains("history-system")) {
			// Listed here because test-admin reads every type, the audit trail too.
			fhir().get("/_history?_count=1").then().statusCode(200);
		}
		assertThat(resource(cs, "ServiceRequest").getInteraction()).extracting(i -> i.getCode().toCode())
				.contains("read", "search-type", "create", "update");
		fhirAs("integration").get("/ServiceRequest?_count=1").then().statusCode(200);
		// Conditional delete of several matches is off (HapiJpaServerConfig): HAPI's "multiple" would be untrue.
		assertThat(resource(cs, "Subscription").getConditionalDelete())
				.isEqualTo(CapabilityStatement.ConditionalDeleteStatus.SINGLE);
	}

	private static CapabilityStatementRestResourceComponent resource(CapabilityStatement cs, String type) {
		return cs.getRestFirstRep().getResource().stream().filter(r -> r.getType().equals(type)).findFirst().orElseThrow();
	}
}
