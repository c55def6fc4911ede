package org.bonemarrow.server.adapter;

import io.restassured.response.Response;
import java.util.List;
import org.bonemarrow.server.support.RestTestBase;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Procedure;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.Task;

/** REST helpers for the workflow tests: post transactions, find an order's Procedure and Task. */
abstract class AdapterRestTestBase extends RestTestBase {

	protected Response transaction(Bundle b) {
		return fhir().body(json(b)).post("");
	}

	/** Posts a transaction that must succeed and records the assigned ids in the flow. */
	protected Bundle post(ExamFlow flow, Bundle b) {
		Response r = transaction(b);
		r.then().statusCode(200);
		Bundle response = bundle(r);
		flow.record(b, response);
		return response;
	}

	protected ExamFlow orderPlaced(String sample) {
		ExamFlow flow = new ExamFlow(sample);
		post(flow, flow.orderTransaction());
		return flow;
	}

	protected <T extends Resource> List<T> search(Class<T> type, String query) {
		Response r = fhir().get("/" + type.getSimpleName() + "?" + query);
		r.then().statusCode(200);
		return bundle(r).getEntry().stream().map(e -> type.cast(e.getResource())).toList();
	}

	protected List<Procedure> procedures(String orderId) {
		return search(Procedure.class, "based-on=" + orderId);
	}

	protected List<Task> tasks(String orderId) {
		return search(Task.class, "focus=" + orderId);
	}

	protected <T extends Resource> T read(Class<T> type, String id) {
		Response r = fhir().get("/" + id);
		r.then().statusCode(200);
		return parse(r, type);
	}

	protected Response put(Resource resource) {
		return fhir().body(json(resource)).put("/" + resource.getIdElement().toUnqualifiedVersionless().getValue());
	}
}
