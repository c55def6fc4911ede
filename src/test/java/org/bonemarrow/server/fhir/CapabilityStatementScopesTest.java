package org.bonemarrow.server.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.servlet.ServletRequestDetails;
import java.io.IOException;
import java.util.List;
import org.bonemarrow.server.security.ClientRoles;
import org.bonemarrow.server.security.SecurityProperties;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestResourceComponent;
import org.hl7.fhir.r4.model.CapabilityStatement.ConditionalDeleteStatus;
import org.hl7.fhir.r4.model.CapabilityStatement.SystemRestfulInteraction;
import org.hl7.fhir.r4.model.CapabilityStatement.TypeRestfulInteraction;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.io.ClassPathResource;

/**
 * The capability statement keeps what the production roles (application.yaml) may do, and only that: asked of
 * the same rules that decide real requests.
 */
class CapabilityStatementScopesTest {

	private static final FhirContext CTX = FhirContext.forR4Cached();
	private static final List<TypeRestfulInteraction> ALL = List.of(TypeRestfulInteraction.READ,
			TypeRestfulInteraction.VREAD, TypeRestfulInteraction.HISTORYINSTANCE, TypeRestfulInteraction.HISTORYTYPE,
			TypeRestfulInteraction.SEARCHTYPE, TypeRestfulInteraction.CREATE, TypeRestfulInteraction.UPDATE,
			TypeRestfulInteraction.PATCH, TypeRestfulInteraction.DELETE);

	private final CapabilityStatement statement = filtered(generatedLikeHapi());

	@Test
	void aTypeNoRoleDeletesListsNoDeleteAndNoConditionalDelete() {
		CapabilityStatementRestResourceComponent patient = resource("Patient");
		assertThat(codes(patient)).contains("read", "vread", "search-type", "create", "update").doesNotContain("delete");
		assertThat(patient.getConditionalDelete()).isEqualTo(ConditionalDeleteStatus.NOTSUPPORTED);
		assertThat(patient.getConditionalCreate()).isTrue();
		assertThat(patient.getSearchParam()).isNotEmpty();
	}

	@Test
	void subscriptionsMayBeDeletedByTheirEhr() {
		assertThat(codes(resource("Subscription"))).contains("delete", "create", "update", "read");
		assertThat(resource("Subscription").getConditionalDelete()).isEqualTo(ConditionalDeleteStatus.SINGLE);
	}

	@Test
	void theAuditTrailIsReadAndSearchedOnlyNeverWritten() {
		assertThat(codes(resource("AuditEvent"))).containsExactlyInAnyOrder(
				"read", "vread", "history-instance", "history-type", "search-type");
		assertThat(resource("AuditEvent").getConditionalCreate()).isFalse();
	}

	@Test
	void operationsNoRoleMayCallAreGone() {
		CapabilityStatementRestComponent rest = statement.getRestFirstRep();
		assertThat(rest.getOperation()).extracting(o -> o.getName())
				.contains("delivery-status", "replay").doesNotContain("expunge", "reindex", "mark-all-resources-for-reindexing");
		assertThat(resource("ServiceRequest").getOperation()).extracting(o -> o.getName())
				.contains("exam-summary").doesNotContain("meta-add", "expunge");
		assertThat(resource("Patient").getOperation()).extracting(o -> o.getName()).doesNotContain("merge", "meta-delete");
	}

	@Test
	void transactionsAndBatchesStayServerWideHistoryGoes() {
		assertThat(statement.getRestFirstRep().getInteraction()).extracting(i -> i.getCode())
				.contains(SystemRestfulInteraction.TRANSACTION, SystemRestfulInteraction.BATCH)
				// Whole-server history and search would show AuditEvents, which no role that reads every type may see.
				.doesNotContain(SystemRestfulInteraction.HISTORYSYSTEM, SystemRestfulInteraction.SEARCHSYSTEM);
	}

	/** What HAPI generates, in small: every interaction, conditional delete and a few operations on each type. */
	private static CapabilityStatement generatedLikeHapi() {
		CapabilityStatement cs = new CapabilityStatement();
		CapabilityStatementRestComponent rest = cs.addRest();
		for (String type : List.of("Patient", "Subscription", "AuditEvent", "ServiceRequest")) {
			CapabilityStatementRestResourceComponent r = rest.addResource().setType(type);
			ALL.forEach(code -> r.addInteraction().setCode(code));
			r.setConditionalCreate(true).setConditionalUpdate(true).setConditionalDelete(ConditionalDeleteStatus.MULTIPLE);
			r.addSearchParam().setName("_id");
			r.addOperation().setName("meta-add");
			r.addOperation().setName("expunge");
		}
		resource(rest, "Patient").addOperation().setName("merge");
		resource(rest, "Patient").addOperation().setName("meta-delete");
		resource(rest, "ServiceRequest").addOperation().setName("exam-summary");
		for (SystemRestfulInteraction code : List.of(SystemRestfulInteraction.TRANSACTION, SystemRestfulInteraction.BATCH,
				SystemRestfulInteraction.HISTORYSYSTEM, SystemRestfulInteraction.SEARCHSYSTEM)) {
			rest.addInteraction().setCode(code);
		}
		for (String op : List.of("expunge", "reindex", "mark-all-resources-for-reindexing", "delivery-status", "replay")) {
			rest.addOperation().setName(op);
		}
		return cs;
	}

	private static CapabilityStatement filtered(CapabilityStatement cs) {
		ServletRequestDetails request = new ServletRequestDetails();
		request.setServer(new RestfulServer(CTX));
		JpaStorageSettings storage = new JpaStorageSettings();
		storage.setAllowMultipleDelete(false); // as HapiJpaServerConfig sets it
		new CapabilityStatementScopes(productionRoles(), storage).keepOnlyWhatSomeRoleMayUse(cs, request);
		return cs;
	}

	private static ClientRoles productionRoles() {
		try {
			var sources = new YamlPropertySourceLoader().load("application", new ClassPathResource("application.yaml"));
			SecurityProperties properties = new Binder(ConfigurationPropertySources.from(sources))
					.bind("bonemarrow.security", SecurityProperties.class).get();
			return new ClientRoles(properties);
		} catch (IOException e) {
			throw new IllegalStateException(e);
		}
	}

	private CapabilityStatementRestResourceComponent resource(String type) {
		return resource(statement.getRestFirstRep(), type);
	}

	private static CapabilityStatementRestResourceComponent resource(CapabilityStatementRestComponent rest, String type) {
		return rest.getResource().stream().filter(r -> r.getType().equals(type)).findFirst().orElseThrow();
	}

	private static List<String> codes(CapabilityStatementRestResourceComponent r) {
		return r.getInteraction().stream().map(i -> i.getCode().toCode()).toList();
	}
}
