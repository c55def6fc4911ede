package org.bonemarrow.server.profiles;

import ca.uhn.fhir.context.support.IValidationSupport;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.instance.model.api.IPrimitiveType;

/**
 * Splits the profiles a resource claims in {@code meta.profile} into those the validation chain holds (core
 * R4, our package, packages a site added) and those it does not. FHIR R4 (resource.html#profile-tags): a
 * claimed profile is an assertion by the sender, and a server may not know it; US Core clients, for one, tag
 * every resource with US Core profiles. Not holding a profile is therefore not a defect of the resource.
 */
public final class ClaimedProfiles {

	/** One claimed profile, with its position in meta.profile (for a FHIRPath location). */
	public record Claim(int index, String url) {
		public String location() {
			return "meta.profile[" + index + "]";
		}
	}

	private final IValidationSupport support;

	public ClaimedProfiles(IValidationSupport support) {
		this.support = support;
	}

	/** Claimed profiles the validation chain does not hold (cannot fetch a StructureDefinition for). */
	public List<Claim> notHeld(IBaseResource resource) {
		return claims(resource, false);
	}

	/** Claimed profiles the validation chain holds. */
	public List<Claim> held(IBaseResource resource) {
		return claims(resource, true);
	}

	private List<Claim> claims(IBaseResource resource, boolean wantHeld) {
		List<Claim> out = new ArrayList<>();
		List<? extends IPrimitiveType<String>> profiles = resource.getMeta().getProfile();
		for (int i = 0; i < profiles.size(); i++) {
			String url = profiles.get(i).getValue();
			if (url == null || url.isBlank()) {
				continue;
			}
			if (isHeld(url) == wantHeld) {
				out.add(new Claim(i, url));
			}
		}
		return out;
	}

	/** A profile of the FHIR R4 specification itself (vitalsigns, bmi, ...), by its canonical URL. */
	public static boolean isCoreProfile(String url) {
		return url.startsWith("http://hl7.org/fhir/StructureDefinition/");
	}

	private boolean isHeld(String url) {
		// A claim may name a version (canonical|version); the chain holds one version per URL.
		return support.fetchStructureDefinition(BoneMarrowPackage.stripVersion(url)) != null;
	}
}
