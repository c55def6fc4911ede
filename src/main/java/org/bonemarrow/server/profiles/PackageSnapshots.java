package org.bonemarrow.server.profiles;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.ValidationSupportContext;
import ca.uhn.fhir.parser.IParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.StructureDefinition;

/**
 * Build step (Maven, {@code process-classes}): copies the package sources of {@code fhir-profiles/} to the
 * folder Maven packs into the FHIR package, with a snapshot generated for every profile that has only a
 * differential.
 *
 * <p>Published FHIR packages carry snapshots (the IG Publisher writes them), so that a consumer does not have
 * to build them from the core definitions. Ours did not: HAPI's package installer built all of them on every
 * fresh database, seconds of the server's start-up (issue 17). The sources stay differential-only, which is
 * what authors edit and review; the snapshots are generated with the same HAPI snapshot generator and
 * validation chain the server uses ({@link OfflineValidatorFactory}), so the installed profiles are the same
 * as before.
 */
public final class PackageSnapshots {

	private PackageSnapshots() {}

	/** @param args the source folder (fhir-profiles) and the output folder */
	public static void main(String[] args) throws IOException {
		if (args.length != 2) {
			throw new IllegalArgumentException("usage: PackageSnapshots <fhir-profiles folder> <output folder>");
		}
		Path source = Path.of(args[0]);
		Path target = Path.of(args[1]);
		if (upToDate(source, target)) {
			return;
		}
		// HAPI logs a line per snapshot at INFO; in a Maven build only the summary below is wanted.
		((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
				.setLevel(ch.qos.logback.classic.Level.WARN);
		int generated = write(source, target);
		System.out.println("[PackageSnapshots] " + generated + " snapshots generated into " + target);
	}

	/** Writes the package files of {@code source} into {@code target}; returns how many snapshots it generated. */
	static int write(Path source, Path target) throws IOException {
		FhirContext ctx = FhirContext.forR4Cached();
		IParser parser = ctx.newJsonParser();
		List<Path> files = jsonFiles(source);
		List<IBaseResource> resources = new ArrayList<>();
		for (Path file : files) {
			if (!file.getFileName().toString().equals("package.json")) {
				resources.add(parser.parseResource(Files.readString(file, StandardCharsets.UTF_8)));
			}
		}
		ValidationSupportChain chain = OfflineValidatorFactory.createValidationSupport(ctx, resources);
		deleteJson(target);
		Files.createDirectories(target);
		int generated = 0;
		for (Path file : files) {
			Path out = target.resolve(file.getFileName().toString());
			String text = Files.readString(file, StandardCharsets.UTF_8);
			if (text.contains("\"resourceType\": \"StructureDefinition\"") || text.contains("\"resourceType\":\"StructureDefinition\"")) {
				StructureDefinition sd = (StructureDefinition) parser.parseResource(text);
				if (needsSnapshot(sd)) {
					text = ctx.newJsonParser().setPrettyPrint(true).encodeResourceToString(withSnapshot(chain, sd));
					generated++;
				}
			}
			Files.writeString(out, text, StandardCharsets.UTF_8);
		}
		return generated;
	}

	/** Logical models have no snapshot to build; anything else without one gets it (as HAPI's installer decides). */
	static boolean needsSnapshot(StructureDefinition sd) {
		return sd.getKind() != StructureDefinition.StructureDefinitionKind.LOGICAL && !sd.hasSnapshot();
	}

	static StructureDefinition withSnapshot(ValidationSupportChain chain, StructureDefinition sd) {
		IBaseResource result = chain.generateSnapshot(new ValidationSupportContext(chain), sd, null, null, null);
		if (!(result instanceof StructureDefinition withSnapshot) || !withSnapshot.hasSnapshot()) {
			throw new IllegalStateException("No snapshot could be generated for " + sd.getUrl());
		}
		return withSnapshot;
	}

	/**
	 * Skips the work (several seconds) when nothing in the sources changed since the last build. A change of HAPI
	 * or of this class alone is not seen: {@code mvn clean} (as CI does on every clone) regenerates.
	 */
	static boolean upToDate(Path source, Path target) throws IOException {
		if (!Files.isDirectory(target)) {
			return false;
		}
		List<Path> in = jsonFiles(source);
		FileTime newestSource = FileTime.fromMillis(0);
		for (Path file : in) {
			FileTime time = Files.getLastModifiedTime(file);
			if (time.compareTo(newestSource) > 0) {
				newestSource = time;
			}
			Path out = target.resolve(file.getFileName().toString());
			if (!Files.exists(out)) {
				return false;
			}
		}
		if (jsonFiles(target).size() != in.size()) {
			return false;
		}
		for (Path out : jsonFiles(target)) {
			if (Files.getLastModifiedTime(out).compareTo(newestSource) < 0) {
				return false;
			}
		}
		return true;
	}

	private static List<Path> jsonFiles(Path dir) throws IOException {
		try (Stream<Path> s = Files.list(dir)) {
			return s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
		}
	}

	private static void deleteJson(Path dir) throws IOException {
		if (Files.isDirectory(dir)) {
			for (Path p : jsonFiles(dir)) {
				Files.delete(p);
			}
		}
	}
}
