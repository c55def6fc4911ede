package org.bonemarrow.server.v2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.hl7v2.ErrorCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.ConceptMap;
import org.junit.jupiter.api.Test;

/**
 * Code maps without a server: the shipped standard maps and the README's example sender map, read from
 * their files, as {@link ConceptMapIndex} and through {@link V2Codes#translating} as the mappers use them.
 */
class V2CodeMapsTranslationTest {

	private static final FhirContext CTX = FhirContext.forR4Cached();
	private static final String V2 = "http://terminology.hl7.org/CodeSystem/v2-";
	private static final String SCT = "http://snomed.info/sct";
	private static final String ACME_99 = "https://bonemarrow-exam.example/fhir/v2-local/ACME-LIS/99ACME";

	private static ConceptMap read(String path) throws Exception {
		return CTX.newJsonParser().parseResource(ConceptMap.class, Files.readString(Path.of(path)));
	}

	private static ConceptMapIndex standard() throws Exception {
		return ConceptMapIndex.of(List.of(read("fhir-profiles/ConceptMap-bme-v2-0487-specimen-types.json"),
				read("fhir-profiles/ConceptMap-bme-v2-0488-collection-methods.json"),
				read("fhir-profiles/ConceptMap-bme-v2-0550-body-sites.json")));
	}

	private static CodeTranslator translator(String sender, ConceptMapIndex index) {
		return new CodeTranslator() {
			@Override
			public String localSystem(String v2Name) {
				return V2Codes.localSystem(sender, v2Name);
			}

			@Override
			public List<Coding> translate(String system, String code) {
				return index.translate(system, code);
			}
		};
	}

	@Test
	void standardMapsTranslateTableCodesToOurValueSets() throws Exception {
		ConceptMapIndex index = standard();
		assertThat(index.translate(V2 + "0487", "ASP")).singleElement()
				.satisfies(c -> assertThat(c.getSystem() + "|" + c.getCode()).isEqualTo(SCT + "|396997002"));
		assertThat(index.translate(V2 + "0487", "BX")).extracting(Coding::getCode).containsExactly("119359002");
		assertThat(index.translate(V2 + "0488", "BIO")).extracting(Coding::getCode).containsExactly("129314006");
		assertThat(index.translate(V2 + "0550", "STER")).extracting(Coding::getCode).containsExactly("56873002");
		assertThat(index.translate(V2 + "0550", "ILIAC")).extracting(Coding::getCode).containsExactly("ILCR");
		// MAR says neither aspirate nor trephine core, and is in bme-specimen-types itself: not mapped.
		assertThat(index.translate(V2 + "0487", "MAR")).isEmpty();
	}

	@Test
	void unmatchedAndDisjointRowsTranslateNothing() {
		ConceptMap map = new ConceptMap();
		ConceptMap.ConceptMapGroupComponent g = map.addGroup().setSource("urn:a").setTarget("urn:b");
		g.addElement().setCode("x").addTarget().setCode("y")
				.setEquivalence(org.hl7.fhir.r4.model.Enumerations.ConceptMapEquivalence.DISJOINT);
		g.addElement().setCode("z").addTarget()
				.setEquivalence(org.hl7.fhir.r4.model.Enumerations.ConceptMapEquivalence.UNMATCHED);
		assertThat(ConceptMapIndex.of(List.of(map)).isEmpty()).isTrue();
	}

	@Test
	void senderMapTranslatesLocalCodesAndKeepsTheSendersCoding() throws Exception {
		ConceptMapIndex acme = ConceptMapIndex.of(List.of(read("docs/v2-code-maps/ConceptMap-acme-lis-bone-marrow.json")))
				.then(standard());
		CodeableConcept cc = V2Codes.translating(translator("ACME-LIS", acme), () -> V2Codes.concept(
				"BMASP", "Bone marrow aspirate", "99ACME", null, null, null, null, "SPM", 4));
		assertThat(cc.getCoding()).extracting(c -> c.getSystem() + "|" + c.getCode())
				.containsExactly(ACME_99 + "|BMASP", SCT + "|396997002");
		// Outside translating(), nothing is translated and a local system is refused as before.
		assertThatThrownBy(() -> V2Codes.concept("BMASP", null, "99ACME", null, null, null, null, "SPM", 4))
				.isInstanceOfSatisfying(V2Rejection.class, r -> assertThat(r.errorCode()).isEqualTo(ErrorCode.TABLE_VALUE_NOT_FOUND));
	}

	@Test
	void standardMapAddsOurCodeToAKnownTableCode() throws Exception {
		CodeableConcept cc = V2Codes.translating(translator("LAB-APP", standard()), () -> V2Codes.concept(
				"ASP", "Aspirate", "HL70487", null, null, null, null, "SPM", 4));
		assertThat(cc.getCoding()).extracting(c -> c.getSystem() + "|" + c.getCode())
				.containsExactly(V2 + "0487|ASP", SCT + "|396997002");
	}

	@Test
	void unmappedLocalCodeAloneIsRefusedAtItsField() throws Exception {
		CodeTranslator acme = translator("ACME-LIS", ConceptMapIndex.of(List.of(read("docs/v2-code-maps/ConceptMap-acme-lis-bone-marrow.json"))));
		assertThatThrownBy(() -> V2Codes.translating(acme, () -> V2Codes.concept(
				"BMXYZ", "Clot section", "99ACME", null, null, null, null, "SPM", 4)))
				.isInstanceOfSatisfying(V2Rejection.class, r -> {
					assertThat(r.errorCode()).isEqualTo(ErrorCode.TABLE_VALUE_NOT_FOUND);
					assertThat(r.getMessage()).contains("SPM-4").contains("no code map of this sender translates code 'BMXYZ'");
				});
		// Beside a coding the server knows, the untranslated local coding is kept.
		CodeableConcept cc = V2Codes.translating(acme, () -> V2Codes.concept(
				"BMXYZ", "Clot section", "99ACME", "119359002", "Bone marrow specimen", "SCT", null, "SPM", 4));
		assertThat(cc.getCoding()).extracting(Coding::getCode).containsExactly("BMXYZ", "119359002");
	}

	@Test
	void aFieldReadAsSentKeepsAnUntranslatedLocalCode() throws Exception {
		CodeTranslator acme = translator("ACME-LIS", ConceptMapIndex.EMPTY);
		CodeableConcept cc = V2Codes.translating(acme, () -> V2Codes.concept(
				"FLOW", "Flow cytometry", "99ACME", null, null, null, null, "OBX", 3, false));
		assertThat(cc.getCoding()).extracting(c -> c.getSystem() + "|" + c.getCode()).containsExactly(ACME_99 + "|FLOW");
	}

	@Test
	void localSystemNamesTheSender() {
		assertThat(V2Codes.localSystem("ACME LIS", "L")).isEqualTo("https://bonemarrow-exam.example/fhir/v2-local/ACME%20LIS/L");
	}
}
