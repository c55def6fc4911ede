package org.bonemarrow.bench;

import java.util.List;

/**
 * One exam as the two messages real systems send, already encoded so the timed phase spends no client
 * CPU on FHIR encoding (client and server share the same 2 cores).
 *
 * @param orderJson      the EHR's transaction: patient, practitioners, supporting info, order (active)
 * @param orderFullUrls  the fullUrl of each entry of that transaction, in entry order, to map the
 *                       transaction-response's locations back to them
 * @param labTemplate    the lab's transaction: specimens, observations, final report; its references to
 *                       the order's resources are still the urn:uuids of {@code orderFullUrls}
 * @param orderEntries   resources in the order transaction
 * @param labEntries     resources in the lab transaction
 */
record GeneratedExam(String orderJson, List<String> orderFullUrls, String labTemplate, int orderEntries, int labEntries) {}
