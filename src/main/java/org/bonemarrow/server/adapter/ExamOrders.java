package org.bonemarrow.server.adapter;

import java.util.Set;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.ServiceRequest;

/**
 * Which ServiceRequests the adapter treats as bone marrow exam orders. The codes mirror the package's
 * ValueSet bme-exam-codes ({@code ExamOrdersTest} fails if the two drift apart); they are copied rather
 * than loaded so the rules stay pure and testable without the package.
 */
public final class ExamOrders {

	static final Set<String> EXAM_CODES = Set.of(
			"http://snomed.info/sct|49401003",
			"http://snomed.info/sct|234326005",
			"https://bonemarrow-exam.example/fhir/CodeSystem/bme-exam|aspiration-and-trephine");

	private ExamOrders() {}

	/** An order (intent order) for one of our exam codes. */
	public static boolean isExamOrder(ServiceRequest order) {
		return order.getIntent() == ServiceRequest.ServiceRequestIntent.ORDER && hasExamCode(order);
	}

	/** The exam codes as {@code system|code}, for searches that pick exam orders out in the database. */
	public static Set<String> examCodes() {
		return EXAM_CODES;
	}

	static boolean hasExamCode(ServiceRequest order) {
		for (Coding c : order.getCode().getCoding()) {
			if (EXAM_CODES.contains(c.getSystem() + "|" + c.getCode())) {
				return true;
			}
		}
		return false;
	}
}
