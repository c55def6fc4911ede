package org.bonemarrow.server.console.turnaround.web;

import org.bonemarrow.server.console.turnaround.ExamTurnaround;
import org.bonemarrow.server.console.turnaround.SegmentTime;

/** console.css badge classes for states and segment badges; the badge text always says it too. */
final class Badges {

	private Badges() {}

	static String css(SegmentTime.Badge badge) {
		return switch (badge) {
			case WITHIN -> "ok";
			case OVER, OVERDUE -> "bad";
			case RUNNING -> "warn";
			case DONE, WAITING, UNKNOWN -> "muted";
		};
	}

	static String css(ExamTurnaround.State state) {
		return switch (state) {
			case COMPLETE -> "ok";
			case OVERDUE -> "bad";
			case OPEN -> "warn";
			case CANCELLED -> "muted";
		};
	}
}
