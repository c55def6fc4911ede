package org.bonemarrow.server.profiles;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the FHIR R4 core definitions and the R4 model classes on a second thread while Spring builds the
 * context on the main one.
 *
 * <p>Start-up profile (issue 17): the main thread spent several seconds parsing HAPI's bundled core
 * StructureDefinitions (HAPI's search parameter extractor needs them for its
 * FHIRPath engine, then the validator) and loading the ~150 R4 resource classes, one after the other, while
 * the second core was mostly idle. HAPI keeps the parsed core definitions in one cache per FHIR version
 * ({@link DefaultProfileValidationSupport}'s shared strategy), and a loaded class is loaded for every context,
 * so doing both here first takes them off the main thread's path. The core ValueSets and CodeSystems are
 * left alone: start-up does not need them (the first validation of a coded element loads them). Nothing here is required: if it fails or is
 * late, HAPI loads the same things itself.
 */
public final class CoreDefinitionsPrewarm {

	private static final Logger log = LoggerFactory.getLogger(CoreDefinitionsPrewarm.class);

	private CoreDefinitionsPrewarm() {}

	/** Starts the loading on a daemon thread and returns at once. */
	public static Thread start() {
		Thread thread = new Thread(CoreDefinitionsPrewarm::load, "core-definitions-prewarm");
		thread.setDaemon(true);
		thread.start();
		return thread;
	}

	static void load() {
		long start = System.nanoTime();
		try {
			FhirContext ctx = FhirContext.forR4Cached();
			DefaultProfileValidationSupport core = new DefaultProfileValidationSupport(ctx);
			// The StructureDefinitions first: the main thread needs them soonest (search parameter extractor).
			int definitions = core.fetchAllStructureDefinitions().size();
			for (String type : ctx.getResourceTypes()) {
				ctx.getResourceDefinition(type);
			}
			log.debug("Core definitions ({} StructureDefinitions) and R4 model loaded in {} ms", definitions,
					(System.nanoTime() - start) / 1_000_000);
		} catch (RuntimeException | LinkageError e) {
			log.debug("Core definitions prewarm stopped; HAPI will load them itself", e);
		}
	}
}
