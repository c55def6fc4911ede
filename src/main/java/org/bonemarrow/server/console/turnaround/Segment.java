package org.bonemarrow.server.console.turnaround;

/**
 * A stretch of an exam between two milestones with its own target. The four consecutive steps, and the
 * two spans the published figures are stated for: received -> final (the integrated report, Bristol
 * SIHMDS) and ordered -> final (what the ordering clinician waits).
 */
public enum Segment {
	ORDERED_TO_COLLECTED(Milestone.ORDERED, Milestone.COLLECTED),
	COLLECTED_TO_RECEIVED(Milestone.COLLECTED, Milestone.RECEIVED),
	RECEIVED_TO_PRELIMINARY(Milestone.RECEIVED, Milestone.PRELIMINARY),
	PRELIMINARY_TO_FINAL(Milestone.PRELIMINARY, Milestone.FINAL),
	RECEIVED_TO_FINAL(Milestone.RECEIVED, Milestone.FINAL),
	ORDERED_TO_FINAL(Milestone.ORDERED, Milestone.FINAL);

	private final Milestone from;
	private final Milestone to;

	Segment(Milestone from, Milestone to) {
		this.from = from;
		this.to = to;
	}

	public Milestone from() {
		return from;
	}

	public Milestone to() {
		return to;
	}

	/** The settings key and the id used in pages: {@code received-to-preliminary}. */
	public String key() {
		return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
	}

	/** {@code received -> preliminary report}. */
	public String label() {
		return from.label() + " \u2192 " + to.label();
	}
}
