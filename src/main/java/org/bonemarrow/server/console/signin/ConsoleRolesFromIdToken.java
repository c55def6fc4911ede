package org.bonemarrow.server.console.signin;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bonemarrow.server.console.ConsoleRole;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.client.oidc.userinfo.OidcUserRequest;
import org.springframework.security.oauth2.client.oidc.userinfo.OidcUserService;
import org.springframework.security.oauth2.client.userinfo.OAuth2UserService;
import org.springframework.security.oauth2.core.oidc.user.DefaultOidcUser;
import org.springframework.security.oauth2.core.oidc.user.OidcUser;

/**
 * A signed-in person's console roles come from one claim of their ID token (or user info), whose values
 * are role names: {@code lab-manager}, {@code integration-engineer}, {@code auditor}. Other values are
 * ignored; a person with none of them may sign in and sees that they have no console role.
 */
public class ConsoleRolesFromIdToken implements OAuth2UserService<OidcUserRequest, OidcUser> {

	private final OidcUserService delegate = new OidcUserService();
	private final String claim;

	public ConsoleRolesFromIdToken(String claim) {
		this.claim = claim;
	}

	@Override
	public OidcUser loadUser(OidcUserRequest request) {
		OidcUser user = delegate.loadUser(request);
		Set<GrantedAuthority> authorities = new HashSet<>();
		for (ConsoleRole role : rolesOf(user.getClaims().get(claim))) {
			authorities.add(new SimpleGrantedAuthority(role.authority()));
		}
		return user.getUserInfo() == null
				? new DefaultOidcUser(authorities, user.getIdToken(), "sub")
				: new DefaultOidcUser(authorities, user.getIdToken(), user.getUserInfo(), "sub");
	}

	/** A claim's value: a list of role names, or one name, or a space-separated string of them. */
	static List<ConsoleRole> rolesOf(Object claimValue) {
		Collection<?> values;
		if (claimValue instanceof Collection<?> list) {
			values = list;
		} else if (claimValue instanceof String text) {
			values = List.of(text.trim().split("\\s+"));
		} else {
			return List.of();
		}
		return values.stream().map(String::valueOf)
				.map(ConsoleRole::fromId).flatMap(java.util.Optional::stream).distinct().toList();
	}
}
