package org.bonemarrow.bench;

import java.util.List;

/** The configurations compared with --start-server: the arguments that make each one. */
final class ServerMode {

	static final List<String> NAMES = List.of("ours", "no-validation", "stock");

	private ServerMode() {}

	/** Stock mode has no security (no tokens, no audit); every other mode needs bearer tokens. */
	static boolean secured(String mode) {
		return !"stock".equals(mode);
	}

	static List<String> argsOf(String mode) {
		return switch (mode) {
			// Validation and adapter on: what a hospital runs.
			case "ours" -> List.of();
			// The same, minus profile validation: shows what validation costs.
			case "no-validation" -> List.of("--bonemarrow.validation.enabled=false");
			// Our switch for "stock HAPI": no validation, no adapter, HAPI's default search-result reuse.
			case "stock" -> List.of("--bonemarrow.stock-mode=true");
			default -> throw new IllegalArgumentException("unknown mode " + mode + ", one of " + NAMES);
		};
	}
}
