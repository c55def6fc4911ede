package org.bonemarrow.bench;

import java.nio.file.Path;
import java.util.List;

/** The configurations compared with --start-server: the arguments that make each one. */
final class ServerMode {

	/** Our server's configurations: the default --modes. */
	static final List<String> NAMES = List.of("ours", "no-validation", "stock");

	/** The real hapi-fhir-jpaserver-starter on its own default database, in memory. */
	static final String STARTER = "starter";
	/** The same starter on an H2 file, as a user who needs its data after a restart would run it. */
	static final String STARTER_H2FILE = "starter-h2file";
	static final List<String> STARTER_NAMES = List.of(STARTER, STARTER_H2FILE);

	/** The bases the result table gives ratios against, in the order printed (the target first). */
	static final List<String> RATIO_BASES = List.of(STARTER_H2FILE, STARTER, "stock");

	private ServerMode() {}

	static boolean known(String mode) {
		return NAMES.contains(mode) || STARTER_NAMES.contains(mode);
	}

	static boolean isStarter(String mode) {
		return STARTER_NAMES.contains(mode);
	}

	/** Stock mode and the starter have no security (no tokens, no audit); our other modes need bearer tokens. */
	static boolean secured(String mode) {
		return !"stock".equals(mode) && !isStarter(mode);
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

	/**
	 * The starter's arguments beside its port: none for its default (in-memory H2), and for the file mode
	 * the URL its own application.yaml suggests, with no other H2 option: its defaults are what is measured.
	 */
	static List<String> starterArgsOf(String mode, Path dataDir) {
		return switch (mode) {
			case STARTER -> List.of();
			case STARTER_H2FILE -> List.of("--spring.datasource.url=jdbc:h2:file:" + dataDir.resolve("h2"));
			default -> throw new IllegalArgumentException("not a starter mode: " + mode + ", one of " + STARTER_NAMES);
		};
	}
}
