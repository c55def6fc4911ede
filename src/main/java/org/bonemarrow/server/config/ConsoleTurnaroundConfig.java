package org.bonemarrow.server.config;

import ca.uhn.fhir.jpa.api.dao.DaoRegistry;
import java.time.Clock;
import org.bonemarrow.server.console.turnaround.ExamTimelineReader;
import org.bonemarrow.server.console.turnaround.ExamWorklist;
import org.bonemarrow.server.console.turnaround.TurnaroundCalculator;
import org.bonemarrow.server.console.turnaround.TurnaroundProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The console's exam worklist and turnaround dashboard (package {@code console.turnaround}): timelines read
 * from the stored orders, specimens and reports, measured against {@code bonemarrow.console.turnaround.*}.
 */
@Configuration
public class ConsoleTurnaroundConfig {

	@Bean
	TurnaroundCalculator turnaroundCalculator(TurnaroundProperties properties) {
		return TurnaroundCalculator.of(properties, Clock.systemUTC());
	}

	@Bean
	ExamTimelineReader examTimelineReader(DaoRegistry daos, TurnaroundProperties properties) {
		return new ExamTimelineReader(daos, properties.zone());
	}

	@Bean
	ExamWorklist examWorklist(ExamTimelineReader reader, TurnaroundCalculator calculator, TurnaroundProperties properties) {
		return new ExamWorklist(reader, calculator, properties);
	}
}
