package org.bonemarrow.server.console;

import java.util.Arrays;
import java.util.Optional;

/** Who a console user is to the lab; each page and action names the roles that may use it. */
public enum ConsoleRole {
	/** Exam worklist and turnaround dashboard, with patient names. */
	LAB_MANAGER("lab-manager", "Lab manager"),
	/** Deliveries (with replay), HL7 v2 messages, and the worklist without patient names. */
	INTEGRATION_ENGINEER("integration-engineer", "Integration engineer"),
	/** The audit trail (privacy officer): who did what to which record. */
	AUDITOR("auditor", "Auditor");

	private final String id;
	private final String label;

	ConsoleRole(String id, String label) {
		this.id = id;
		this.label = label;
	}

	/** The name used in configuration and in the ID token's {@code roles} claim. */
	public String id() {
		return id;
	}

	public String label() {
		return label;
	}

	/** Spring Security's authority for {@code hasRole(name())}. */
	public String authority() {
		return "ROLE_" + name();
	}

	public static Optional<ConsoleRole> fromId(String id) {
		return Arrays.stream(values()).filter(r -> r.id.equals(id)).findFirst();
	}
}
