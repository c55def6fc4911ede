package org.bonemarrow.server.terminology;

import static org.assertj.core.api.Assertions.assertThat;

import io.restassured.response.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.CodeSystem;
import org.hl7.fhir.r4.model.Parameters;
import org.hl7.fhir.r4.model.ValueSet;
import org.junit.jupiter.api.Test;

/**
 * The terminology operations on the package's own ValueSets, CodeSystems and ConceptMaps, over HTTP, offline:
 * what they answer (compared with the files in fhir-profiles/) and who may call them.
 */
@FhirServerTest
class TerminologyOperationsRestTest extends RestTestBase {

	/** Our CodeSystem bme-indication and SNOMED CT codes (a code system the server does not hold). */
	static final ValueSet INDICATIONS = packageFile("ValueSet-bme-indications.json", ValueSet.class);
	static final CodeSystem EXAM_CODES = packageFile("CodeSystem-bme-exam.json", CodeSystem.class);
	static final String SNOMED = "http://snomed.info/sct";

	@Test
	void expand_byUrl_versionedUrl_id_andPost_listsExactlyTheValueSetsCodes_withTheirDisplays() {
		Set<String> expected = INDICATIONS.getCompose().getInclude().stream()
				.flatMap(include -> include.getConcept().stream()
						.map(c -> include.getSystem() + "|" + c.getCode() + "|" + c.getDisplay()))
				.collect(Collectors.toSet());
		assertThat(expected).hasSizeGreaterThan(10).anyMatch(c -> c.startsWith(SNOMED + "|"));

		String url = INDICATIONS.getUrl();
		for (Response r : List.of(
				fhirAs("integration").get("/ValueSet/$expand?url=" + url),
				fhirAs("integration").get("/ValueSet/$expand?url=" + url + "|" + INDICATIONS.getVersion()),
				fhirAs("ehr").get("/ValueSet/" + INDICATIONS.getIdPart() + "/$expand"),
				fhirAs("integration").body(json(new Parameters().addParameter("url", new org.hl7.fhir.r4.model.UriType(url))))
						.post("/ValueSet/$expand"))) {
			r.then().statusCode(200);
			assertThat(codes(parse(r, ValueSet.class))).isEqualTo(expected);
		}

		Response refused = fhirAs("lab").get("/ValueSet/$expand?url=" + url);
		refused.then().statusCode(403);
		assertThat(outcome(refused).getIssueFirstRep().getDiagnostics()).contains("lab");
	}

	@Test
	void expand_filterCountOffset_cutTheExpansion_andLeaveTheValueSetWhole() {
		String url = INDICATIONS.getUrl();
		Set<String> marrow = INDICATIONS.getCompose().getInclude().stream()
				.flatMap(include -> include.getConcept().stream())
				.filter(c -> c.getDisplay().toLowerCase().contains("marrow"))
				.map(ValueSet.ConceptReferenceComponent::getCode).collect(Collectors.toSet());
		assertThat(marrow).hasSizeGreaterThan(2);

		ValueSet filtered = parse(fhirAs("integration").get("/ValueSet/$expand?url=" + url + "&filter=MARROW")
				.then().statusCode(200).extract().response(), ValueSet.class);
		assertThat(filtered.getExpansion().getContains()).extracting(ValueSet.ValueSetExpansionContainsComponent::getCode)
				.containsExactlyInAnyOrderElementsOf(marrow);
		assertThat(filtered.getExpansion().getTotal()).isEqualTo(marrow.size());

		ValueSet page = parse(fhirAs("integration").get("/ValueSet/$expand?url=" + url + "&filter=marrow&offset=1&count=2")
				.then().statusCode(200).extract().response(), ValueSet.class);
		assertThat(page.getExpansion().getContains()).hasSize(2);
		assertThat(page.getExpansion().getOffset()).isEqualTo(1);
		assertThat(page.getExpansion().getTotal()).isEqualTo(marrow.size());

		fhirAs("integration").get("/ValueSet/$expand?url=" + url + "&count=-1").then().statusCode(400);
		// The cut answers are copies: the ValueSet the validator uses still expands whole.
		int all = INDICATIONS.getCompose().getInclude().stream().mapToInt(i -> i.getConcept().size()).sum();
		ValueSet whole = parse(fhirAs("integration").get("/ValueSet/$expand?url=" + url), ValueSet.class);
		assertThat(whole.getExpansion().getContains()).hasSize(all);
	}

	@Test
	void validateCode_inOurValueSet_trueAndFalse_asCodeAndAsCoding_unknownValueSetIs404() {
		String url = INDICATIONS.getUrl();
		String snomedCode = INDICATIONS.getCompose().getInclude().stream().filter(i -> SNOMED.equals(i.getSystem()))
				.findFirst().orElseThrow().getConceptFirstRep().getCode();

		Parameters yes = parse(fhirAs("integration")
				.get("/ValueSet/$validate-code?url=" + url + "&system=" + SNOMED + "&code=" + snomedCode), Parameters.class);
		assertThat(yes.getParameterBool("result")).isTrue();
		Parameters no = parse(fhirAs("integration")
				.get("/ValueSet/$validate-code?url=" + url + "&system=" + SNOMED + "&code=0000000"), Parameters.class);
		assertThat(no.getParameterBool("result")).isFalse();

		Parameters coding = new Parameters().addParameter("url", new org.hl7.fhir.r4.model.UriType(url))
				.addParameter("coding", new org.hl7.fhir.r4.model.Coding(SNOMED, snomedCode, null));
		Response posted = fhirAs("integration").body(json(coding)).post("/ValueSet/$validate-code");
		posted.then().statusCode(200);
		assertThat(parse(posted, Parameters.class).getParameterBool("result")).isTrue();

		Response unknown = fhirAs("integration").get("/ValueSet/$validate-code?url=http://example.org/no-such-vs&system="
				+ SNOMED + "&code=" + snomedCode);
		unknown.then().statusCode(404);
		assertThat(outcome(unknown).getIssueFirstRep().getDiagnostics()).contains("not known");
		fhirAs("lab").get("/ValueSet/$validate-code?url=" + url + "&system=" + SNOMED + "&code=" + snomedCode)
				.then().statusCode(403);
	}

	@Test
	void lookup_ourCode_givesItsDisplay_unknownSystemOrCodeIs404_andNeedsCodeSystemRead() {
		CodeSystem.ConceptDefinitionComponent concept = EXAM_CODES.getConceptFirstRep();
		Response r = fhirAs("integration").get("/CodeSystem/$lookup?system=" + EXAM_CODES.getUrl() + "&code=" + concept.getCode());
		r.then().statusCode(200);
		assertThat(parse(r, Parameters.class).getParameterValue("display").primitiveValue()).isEqualTo(concept.getDisplay());

		Parameters byCoding = new Parameters().addParameter("coding",
				new org.hl7.fhir.r4.model.Coding(EXAM_CODES.getUrl(), concept.getCode(), null));
		Response posted = fhirAs("integration").body(json(byCoding)).post("/CodeSystem/$lookup");
		posted.then().statusCode(200);
		assertThat(parse(posted, Parameters.class).getParameterValue("display").primitiveValue()).isEqualTo(concept.getDisplay());

		Response unknownCode = fhirAs("integration").get("/CodeSystem/$lookup?system=" + EXAM_CODES.getUrl() + "&code=no-such-code");
		unknownCode.then().statusCode(404);
		assertThat(outcome(unknownCode).getIssueFirstRep().getDiagnostics()).contains("no-such-code", EXAM_CODES.getUrl());
		Response snomed = fhirAs("integration").get("/CodeSystem/$lookup?system=" + SNOMED + "&code=56873002");
		snomed.then().statusCode(404);
		assertThat(outcome(snomed).getIssueFirstRep().getDiagnostics()).contains("SNOMED CT and LOINC are not loaded");
		fhirAs("integration").get("/CodeSystem/$lookup?system=http://example.org/unknown&code=x").then().statusCode(404);

		Parameters valid = parse(fhirAs("integration").get("/CodeSystem/$validate-code?url=" + EXAM_CODES.getUrl()
				+ "&code=" + concept.getCode()), Parameters.class);
		assertThat(valid.getParameterBool("result")).isTrue();
		Parameters invalid = parse(fhirAs("integration").get("/CodeSystem/" + EXAM_CODES.getIdPart()
				+ "/$validate-code?code=no-such-code"), Parameters.class);
		assertThat(invalid.getParameterBool("result")).isFalse();

		Response refused = fhirAs("lab").get("/CodeSystem/$lookup?system=" + EXAM_CODES.getUrl() + "&code=" + concept.getCode());
		refused.then().statusCode(403);
		assertThat(outcome(refused).getIssueFirstRep().getDiagnostics()).contains("lab");
	}

	@Test
	void translate_answersForThePackagesConceptMap_andNeedsConceptMapRead() {
		String map = "https://bonemarrow-exam.example/fhir/ConceptMap/bme-v2-0550-body-sites";
		String query = "?system=http://terminology.hl7.org/CodeSystem/v2-0550&code=STER&targetsystem=" + SNOMED;
		for (Response r : List.of(fhirAs("integration").get("/ConceptMap/$translate" + query + "&url=" + map),
				fhirAs("integration").get("/ConceptMap/bme-v2-0550-body-sites/$translate" + query))) {
			r.then().statusCode(200);
			Parameters answer = parse(r, Parameters.class);
			assertThat(answer.getParameterBool("result")).isTrue();
			assertThat(answer.getParameter("match").getPart()).anySatisfy(part -> {
				assertThat(part.getName()).isEqualTo("concept");
				assertThat(((org.hl7.fhir.r4.model.Coding) part.getValue()).getCode()).isEqualTo("56873002");
			});
		}
		fhirAs("lab").get("/ConceptMap/$translate" + query + "&url=" + map).then().statusCode(403);
	}

	private static Set<String> codes(ValueSet expanded) {
		return expanded.getExpansion().getContains().stream()
				.map(c -> c.getSystem() + "|" + c.getCode() + "|" + c.getDisplay())
				.collect(Collectors.toSet());
	}

	private static <T extends org.hl7.fhir.instance.model.api.IBaseResource> T packageFile(String name, Class<T> type) {
		try {
			return CTX.newJsonParser().parseResource(type, Files.readString(Path.of("fhir-profiles", name)));
		} catch (IOException e) {
			throw new java.io.UncheckedIOException(e);
		}
	}
}
