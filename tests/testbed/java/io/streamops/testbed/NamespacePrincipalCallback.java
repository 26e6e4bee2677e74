// SPDX-License-Identifier: GPL-3.0-or-later
package io.streamops.testbed;

import javax.security.auth.callback.Callback;

/**
 * Asks {@link ConnectionStringCallbackHandler} which principal a validated password stands for:
 * {@code <namespace>/<rule>} for a namespace connection string of the ARM test double,
 * {@code operator} for the testbed's own connection string, {@code broker} for the inter-broker password.
 */
public final class NamespacePrincipalCallback implements Callback {
    private final char[] password;
    private String principal;

    public NamespacePrincipalCallback(char[] password) {
        this.password = password;
    }

    public char[] password() {
        return password;
    }

    public String principal() {
        return principal;
    }

    public void principal(String name) {
        principal = name;
    }
}
