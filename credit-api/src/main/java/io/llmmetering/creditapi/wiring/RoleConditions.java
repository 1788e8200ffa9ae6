package io.llmmetering.creditapi.wiring;

/** The conditions of {@code credit.role} (see {@code CreditApiProperties.Role}), for the beans each role runs. */
final class RoleConditions {

    static final String SERVES_API = "!'${credit.role:both}'.equalsIgnoreCase('applier')";
    static final String APPLIES_DEBITS = "!'${credit.role:both}'.equalsIgnoreCase('api')";

    private RoleConditions() {
    }
}
