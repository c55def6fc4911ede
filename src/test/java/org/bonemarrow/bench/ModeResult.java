package org.bonemarrow.bench;

/**
 * The figures of one configuration's run.
 *
 * @param mode            the configuration's name
 * @param workload        latencies, counts and ingest time
 * @param memory          resident memory "peak / end" in MiB, as text (n/a when unknown)
 * @param startupSeconds  process start to readiness, or NaN for an external server
 * @param dataMiBAfterRun H2 folder size right after the workload, NaN for an external server
 * @param dataMiBStopped  the same after a normal stop (H2 compacts on close), NaN when not stopped
 */
record ModeResult(String mode, Workload workload, String memory, double startupSeconds,
		double dataMiBAfterRun, double dataMiBStopped) {

	double examsPerSecond() {
		return workload.ingestSeconds > 0 ? workload.examsOk.get() / workload.ingestSeconds : Double.NaN;
	}

	double resourcesPerSecond() {
		return workload.ingestSeconds > 0 ? workload.resourcesOk.get() / workload.ingestSeconds : Double.NaN;
	}
}
