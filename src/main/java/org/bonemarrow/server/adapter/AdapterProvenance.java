package org.bonemarrow.server.adapter;

import java.util.Date;
import org.hl7.fhir.instance.model.api.IIdType;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Provenance;
import org.hl7.fhir.r4.model.Reference;

/**
 * The Provenance every adapter write carries, so an auditor can tell machine-made records from clinical
 * ones ({@code Provenance?target=Task/12}) and see which rule made them and which resource triggered it.
 * The agent is the adapter software itself, named by a logical identifier rather than a Device resource,
 * so that no extra record has to exist for the audit trail to be complete.
 */
public final class AdapterProvenance {

	public static final String RULE_SYSTEM = "https://bonemarrow-exam.example/fhir/CodeSystem/bme-adapter-rule";
	public static final String SOFTWARE_SYSTEM = "https://bonemarrow-exam.example/fhir/sid/software";
	public static final String ADAPTER_ID = "bone-marrow-exam-adapter";
	public static final String ADAPTER_NAME = "bone marrow exam adapter";

	private AdapterProvenance() {}

	/**
	 * @param target  the resource the adapter wrote, with its new version
	 * @param rule    the rule's name (its class name), also the activity code
	 * @param reason  one sentence: why the rule wrote it
	 * @param trigger the resource whose write set off the rule, without version
	 */
	public static Provenance of(IIdType target, String rule, String reason, IIdType trigger) {
		Provenance p = new Provenance();
		p.addTarget(new Reference(target.toUnqualified().getValue()));
		p.setRecorded(new Date());
		p.setActivity(new CodeableConcept(new Coding(RULE_SYSTEM, rule, rule)).setText(reason));
		p.addReason().setText(rule + ": " + reason);
		Provenance.ProvenanceAgentComponent agent = p.addAgent();
		agent.setType(new CodeableConcept(new Coding(
				"http://terminology.hl7.org/CodeSystem/provenance-participant-type", "assembler", "Assembler")));
		agent.setWho(new Reference()
				.setType("Device")
				.setIdentifier(new Identifier().setSystem(SOFTWARE_SYSTEM).setValue(ADAPTER_ID))
				.setDisplay(ADAPTER_NAME));
		if (trigger != null) {
			p.addEntity()
					.setRole(Provenance.ProvenanceEntityRole.SOURCE)
					.setWhat(new Reference(trigger.toUnqualifiedVersionless().getValue()));
		}
		return p;
	}
}
