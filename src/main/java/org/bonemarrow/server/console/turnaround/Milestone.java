package org.bonemarrow.server.console.turnaround;

/**
 * The moments of a bone marrow exam that turnaround is measured between, in the order they happen.
 * Where each comes from is {@link ExamTimelineReader}'s business; here only their order matters.
 */
public enum Milestone {
	/** ServiceRequest.authoredOn. */
	ORDERED("ordered"),
	/** Specimen.collection.collected[x], earliest of the exam's specimens. */
	COLLECTED("collected"),
	/** Specimen.receivedTime, earliest of the exam's specimens: received in the lab. */
	RECEIVED("received"),
	/** First stored version of a report with status preliminary or partial. */
	PRELIMINARY("preliminary report"),
	/** First stored version of a report with status final (or, without one, amended/corrected/appended). */
	FINAL("final report");

	private final String label;

	Milestone(String label) {
		this.label = label;
	}

	public String label() {
		return label;
	}
}
