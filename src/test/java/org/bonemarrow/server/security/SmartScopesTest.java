package org.bonemarrow.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SmartScopesTest {

	@ParameterizedTest(name = "{0} on {1}.{2} -> {3}")
	@CsvSource({
		// v2 letters
		"system/ServiceRequest.cru,        ServiceRequest, c, true",
		"system/ServiceRequest.cru,        ServiceRequest, s, false",
		"system/ServiceRequest.cru,        ServiceRequest, d, false",
		"system/Task.rus,                  Task,           c, false",
		"system/Task.rus,                  Task,           u, true",
		// v1 forms
		"system/Patient.read,              Patient,        s, true",
		"system/Patient.read,              Patient,        c, false",
		"system/Patient.write,             Patient,        u, true",
		"system/Patient.*,                 Patient,        d, true",
		// wildcard type, but never the audit trail
		"system/*.rs,                      Observation,    r, true",
		"system/*.rs,                      AuditEvent,     r, false",
		"system/*.cruds,                   AuditEvent,     s, false",
		"system/AuditEvent.rs,             AuditEvent,     s, true",
		// not system scopes, or malformed: nothing
		"patient/*.rs,                     Observation,    r, false",
		"user/Observation.rs,              Observation,    r, false",
		"system/Observation.x,             Observation,    r, false",
		"system/observation.rs,            Observation,    r, false",
		"system/Observation.sr,            Observation,    r, false",
		"system/Observation.rs openid,     Observation,    s, true",
	})
	void permits(String scopes, String type, char interaction, boolean expected) {
		assertThat(SmartScopes.parse(scopes).permits(type, interaction)).isEqualTo(expected);
	}

	@ParameterizedTest
	@CsvSource({"system/Task.rs system/Task.cu, system/Task.crus", "system/Task.sur system/Task.c, system/Task.c", "system/Patient.read, system/Patient.rs"})
	void normalisedForm(String scopes, String expected) {
		assertThat(SmartScopes.parse(scopes)).hasToString(expected);
	}

	@ParameterizedTest
	@CsvSource({"x", "w"})
	void rejectsUnknownInteraction(char interaction) {
		assertThatThrownBy(() -> SmartScopes.parse("system/*.cruds").permits("Patient", interaction))
				.isInstanceOf(IllegalArgumentException.class);
	}
}
