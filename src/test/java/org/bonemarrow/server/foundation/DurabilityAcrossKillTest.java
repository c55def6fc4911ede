package org.bonemarrow.server.foundation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bonemarrow.server.support.Fixtures.*;

import ca.uhn.fhir.context.FhirContext;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bonemarrow.server.support.ServerProcess;
import org.hl7.fhir.r4.model.Bundle;
import org.junit.jupiter.api.Test;

/**
 * A write answered 2xx is never lost: not on kill -9, not on restart. Runs the real server as a child
 * process on its own H2 folder (measured before the WRITE_DELAY=0 fix: 11 of 20 such writes were gone).
 */
class DurabilityAcrossKillTest {

	private static final FhirContext CTX = FhirContext.forR4Cached();

	@Test
	void acknowledgedWritesSurviveKill9AndAGracefulRestart() throws Exception {
		Path dataDir = Files.createDirectories(Path.of("target", "durability-" + unique("h2")));
		Path log = dataDir.resolve("server.log");
		List<String> ids = new ArrayList<>();
		String mrnPrefix = unique("kill");
		String placer = unique("placer");

		try (ServerProcess first = ServerProcess.start(dataDir, log)) {
			for (int i = 0; i < 20; i++) {
				Response r = first.fhir()
						.body(CTX.newJsonParser().encodeResourceToString(patient(mrnPrefix + "-" + i)))
						.post("/Patient");
				assertThat(r.statusCode()).isEqualTo(201);
				ids.add(r.header("Location").replaceAll(".*/fhir/", "").replaceAll("/_history.*", ""));
			}
			// Last write is a whole transaction: it must be there entirely, or the test would show a torn write.
			Response tx = first.fhir()
					.body(CTX.newJsonParser().encodeResourceToString(examTransaction(mrnPrefix + "-tx", placer)))
					.post("/");
			assertThat(tx.statusCode()).isEqualTo(200);
			first.kill9();
		}

		try (ServerProcess second = ServerProcess.start(dataDir, log)) {
			for (String id : ids) {
				second.fhir().get("/" + id).then().statusCode(200);
			}
			assertThat(count(second, "/Patient?identifier=" + MRN_SYSTEM + "|" + mrnPrefix + "-tx")).isEqualTo(1);
			assertThat(count(second, "/Specimen?patient.identifier=" + MRN_SYSTEM + "|" + mrnPrefix + "-tx")).isEqualTo(2);
			// This start found the package it installed first and skipped HAPI's installer; the package's own
			// search parameter (Specimen?request) still answers.
			String order = firstId(second, "/ServiceRequest?identifier=" + PLACER_SYSTEM + "|" + placer);
			assertThat(count(second, "/Specimen?request=" + order)).isEqualTo(2);
			assertThat(second.stop()).isIn(0, 143);
		}

		// After a graceful stop (which compacts H2) the data is still all there.
		try (ServerProcess third = ServerProcess.start(dataDir, log)) {
			assertThat(count(third, "/Patient?_id=" + String.join(",", ids.stream().map(i -> i.substring(8)).toList())))
					.isEqualTo(20);
		}
		String serverLog = Files.readString(log);
		assertThat(serverLog).contains("H2 database compacted on shutdown");
		// Installed once, on the fresh database; both restarts found it unchanged.
		assertThat(serverLog.split("FHIR package example.bonemarrow.exam#[^ ]+ installed in", -1)).hasSize(2);
		assertThat(serverLog.split("unchanged since their installation in this database: not reinstalled", -1)).hasSize(3);
		// Hibernate's schema update ran on the fresh database only; the restarts found it current.
		assertThat(serverLog.split("schema update skipped", -1)).hasSize(3);
	}

	private static String firstId(ServerProcess server, String search) {
		Response r = server.fhir().get(search);
		r.then().statusCode(200);
		Bundle bundle = CTX.newJsonParser().parseResource(Bundle.class, r.asString());
		assertThat(bundle.getEntry()).as(search).hasSize(1);
		return bundle.getEntryFirstRep().getResource().getIdElement().toUnqualifiedVersionless().getValue();
	}

	private static int count(ServerProcess server, String search) {
		Response r = server.fhir().get(search + "&_total=accurate");
		r.then().statusCode(200);
		return CTX.newJsonParser().parseResource(Bundle.class, r.asString()).getTotal();
	}
}
