package org.bonemarrow.server.v2;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hl7.fhir.r4.model.ConceptMap;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Enumerations.ConceptMapEquivalence;

/**
 * One or more ConceptMaps as a lookup from a source coding ({@code group.source} + {@code element.code}) to
 * its target codings ({@code group.target} + {@code target.code}), the same pairs {@code ConceptMap/$translate}
 * answers with. Targets whose equivalence is {@code unmatched} or {@code disjoint} (R4 ConceptMap: "there is
 * no match", "this is not a match") are left out, so such a row never turns a code into something else.
 * Pure and immutable.
 */
public final class ConceptMapIndex {

	public static final ConceptMapIndex EMPTY = new ConceptMapIndex(Map.of());

	private final Map<String, List<Coding>> targets;

	private ConceptMapIndex(Map<String, List<Coding>> targets) {
		this.targets = targets;
	}

	public static ConceptMapIndex of(List<ConceptMap> maps) {
		Map<String, List<Coding>> out = new LinkedHashMap<>();
		for (ConceptMap map : maps) {
			for (ConceptMap.ConceptMapGroupComponent group : map.getGroup()) {
				if (!group.hasSource() || !group.hasTarget()) {
					continue;
				}
				for (ConceptMap.SourceElementComponent element : group.getElement()) {
					for (ConceptMap.TargetElementComponent target : element.getTarget()) {
						if (!target.hasCode() || target.getEquivalence() == ConceptMapEquivalence.UNMATCHED
								|| target.getEquivalence() == ConceptMapEquivalence.DISJOINT) {
							continue;
						}
						List<Coding> list = out.computeIfAbsent(key(group.getSource(), element.getCode()), k -> new ArrayList<>());
						Coding coding = new Coding(group.getTarget(), target.getCode(), target.getDisplay());
						if (list.stream().noneMatch(c -> c.getSystem().equals(coding.getSystem()) && c.getCode().equals(coding.getCode()))) {
							list.add(coding);
						}
					}
				}
			}
		}
		out.replaceAll((k, v) -> List.copyOf(v));
		return new ConceptMapIndex(Map.copyOf(out));
	}

	/** The targets of a source coding, copies the caller may change; empty when no map translates it. */
	public List<Coding> translate(String system, String code) {
		List<Coding> found = targets.get(key(system, code));
		return found == null ? List.of() : found.stream().map(Coding::copy).toList();
	}

	/** This index followed by another: for a source both translate, this one's targets come first. */
	public ConceptMapIndex then(ConceptMapIndex other) {
		Map<String, List<Coding>> out = new LinkedHashMap<>(targets);
		other.targets.forEach((k, v) -> out.merge(k, v, (a, b) -> {
			List<Coding> merged = new ArrayList<>(a);
			b.stream().filter(c -> a.stream().noneMatch(x -> x.getSystem().equals(c.getSystem())
					&& x.getCode().equals(c.getCode()))).forEach(merged::add);
			return List.copyOf(merged);
		}));
		return new ConceptMapIndex(Map.copyOf(out));
	}

	public boolean isEmpty() {
		return targets.isEmpty();
	}

	private static String key(String system, String code) {
		return system + "|" + code;
	}
}
