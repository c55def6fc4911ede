package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import ca.uhn.fhir.rest.api.server.SystemRequestDetails;
import io.restassured.response.Response;
import java.util.List;
import org.bonemarrow.server.support.FhirServerTest;
import org.bonemarrow.server.support.Fixtures;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.StringType;
import org.hl7.fhir.r4.model.Subscription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * A Subscription's channel headers are the receiving system's secrets (issue 19, M6): no reader sees
 * them, not even the client that wrote them, while deliveries keep using them; a Subscription may not
 * point at a scheme outside the allowed ones nor carry a header that would reframe the delivery.
 */
@FhirServerTest
class SubscriptionSecretsRestTest extends RestTestBase {

	@Autowired
	private DaoRegistry daos;

	@Test
	void headersAreMaskedForEveryReader_andKeptForDelivery() {
		String secret = "Bearer " + Fixtures.unique("secret");
		String id = create("ehr", subscription(Fixtures.unique("crit"), "Authorization: " + secret));

		for (String reader : List.of("ehr", "integration")) {
			for (String url : List.of("/" + id, "/" + id + "/_history", "/Subscription?_id=" + id.substring(id.indexOf('/') + 1),
					"/Subscription?_id=" + id.substring(id.indexOf('/') + 1) + "&_elements=channel",
					"/Subscription?_id=" + id.substring(id.indexOf('/') + 1) + "&_format=xml")) {
				Response r = fhirAs(reader).get(url);
				assertThat(r.statusCode()).as(reader + " " + url).isEqualTo(200);
				assertThat(r.asString()).as(reader + " " + url).doesNotContain(secret).contains("Authorization: ***");
			}
		}
		assertThat(stored(id).getChannel().getHeader()).extracting(StringType::getValue).containsExactly("Authorization: " + secret);
	}

	@Test
	void aSubscriptionReadAndWrittenBack_keepsItsSecret() {
		String secret = "Bearer " + Fixtures.unique("secret");
		String id = create("ehr", subscription(Fixtures.unique("crit"), "Authorization: " + secret));

		Subscription read = parse(fhirAs("ehr").get("/" + id), Subscription.class);
		assertThat(read.getChannel().getHeader()).extracting(StringType::getValue).containsExactly("Authorization: ***");
		read.setReason("changed by the EHR");
		fhirAs("ehr").body(json(read)).put("/" + id).then().statusCode(200);

		Subscription after = stored(id);
		assertThat(after.getReason()).isEqualTo("changed by the EHR");
		assertThat(after.getChannel().getHeader()).extracting(StringType::getValue).containsExactly("Authorization: " + secret);
	}

	@Test
	void aMaskedHeaderWithNothingStoredBehindItIs422() {
		String criteria = Fixtures.unique("crit");
		Response r = fhirAs("ehr").body(json(subscription(criteria, "Authorization: ***"))).post("/Subscription");
		assertOutcome(r, 422, "masked");
		assertThat(total("/Subscription?criteria=" + criteria(criteria))).isZero();
	}

	@ParameterizedTest
	@ValueSource(strings = {"file:///etc/passwd", "ftp://files.hospital.example/in", "gopher://x.example/", "http:///no-host",
			"https://user:pw@ehr.hospital.example/fhir"})
	void anEndpointOutsideTheAllowedSchemesIs422_andNothingIsStored(String endpoint) {
		String criteria = Fixtures.unique("crit");
		Subscription s = subscription(criteria, "Authorization: Bearer x");
		s.getChannel().setEndpoint(endpoint);
		assertOutcome(fhirAs("ehr").body(json(s)).post("/Subscription"), 422, "Subscription.channel.endpoint");
		assertThat(total("/Subscription?criteria=" + criteria(criteria))).isZero();
	}

	@ParameterizedTest
	@ValueSource(strings = {"Host: internal.hospital.example", "Content-Length: 0", "no colon here", "X-Ok: a\r\nHost: evil"})
	void aHeaderThatWouldReframeTheDeliveryIs422(String header) {
		String criteria = Fixtures.unique("crit");
		assertOutcome(fhirAs("ehr").body(json(subscription(criteria, header))).post("/Subscription"), 422,
				"Subscription.channel.header");
		assertThat(total("/Subscription?criteria=" + criteria(criteria))).isZero();
	}

	private Subscription stored(String id) {
		return (Subscription) daos.getResourceDao("Subscription").read(new IdType(id), new SystemRequestDetails());
	}

	private String create(String client, Subscription s) {
		Response r = fhirAs(client).body(json(s)).post("/Subscription");
		r.then().statusCode(201);
		return idFromLocation(r.header("Location"));
	}

	/** Criteria that match no report, so that the Subscription never delivers during the suite. */
	private static Subscription subscription(String unique, String header) {
		Subscription s = new Subscription();
		s.setStatus(Subscription.SubscriptionStatus.REQUESTED);
		s.setReason("secrets test");
		s.setCriteria("DiagnosticReport?based-on=ServiceRequest/" + unique);
		s.getChannel().setType(Subscription.SubscriptionChannelType.RESTHOOK)
				.setEndpoint("https://ehr.hospital.example/fhir").setPayload("application/fhir+json").addHeader(header);
		return s;
	}

	private static String criteria(String unique) {
		return "DiagnosticReport?based-on=ServiceRequest/" + unique;
	}

	private static void assertOutcome(Response r, int status, String diagnosticsContain) {
		assertThat(r.statusCode()).as(r.asString()).isEqualTo(status);
		OperationOutcome outcome = outcome(r);
		assertThat(outcome.getIssueFirstRep().getDiagnostics()).contains(diagnosticsContain);
	}
}
