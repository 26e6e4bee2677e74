// SPDX-License-Identifier: GPL-3.0-or-later
package io.streamops.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.Provider;
import java.security.Security;
import java.util.Map;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;
import javax.security.sasl.SaslServerFactory;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.security.plain.internals.PlainSaslServer;

/**
 * SASL/PLAIN as Kafka does it, except for the authorization id: Event Hubs clients all log in as
 * {@code $ConnectionString}, so Kafka's default principal would be the same for everyone. Once Kafka's
 * own {@link PlainSaslServer} has validated the exchange, the authorization id (and so the principal
 * {@code User:<id>}) becomes the connection string's namespace and SAS rule, {@code <namespace>/<rule>}.
 *
 * <p>{@link #install()} registers the factory through a {@link java.security.Provider} ahead of
 * Kafka's, so {@code Sasl.createSaslServer("PLAIN", ...)} in the broker returns this server.
 */
public final class NamespacePlainSaslServer implements SaslServer {
    private final PlainSaslServer plain;
    private final CallbackHandler callbackHandler;
    private String authorizationId;

    NamespacePlainSaslServer(CallbackHandler callbackHandler) {
        this.plain = new PlainSaslServer(callbackHandler);
        this.callbackHandler = callbackHandler;
    }

    /** Idempotent; called when the broker configures its SASL callback handler, before any client connects. */
    static synchronized void install() {
        if (Security.getProvider(NamespaceSaslProvider.NAME) == null) {
            Security.insertProviderAt(new NamespaceSaslProvider(), 1);
        }
    }

    @Override
    public byte[] evaluateResponse(byte[] response) throws SaslException {
        byte[] challenge = plain.evaluateResponse(response);
        String message = new String(response, StandardCharsets.UTF_8);
        String password = message.substring(message.lastIndexOf('\u0000') + 1);
        NamespacePrincipalCallback principal = new NamespacePrincipalCallback(password.toCharArray());
        try {
            callbackHandler.handle(new Callback[] {principal});
        } catch (IOException | UnsupportedCallbackException error) {
            throw new SaslAuthenticationException("Authentication failed: no principal for this connection string", error);
        }
        if (principal.principal() == null) {
            throw new SaslAuthenticationException("Authentication failed: Invalid username or password");
        }
        authorizationId = principal.principal();
        return challenge;
    }

    @Override
    public String getAuthorizationID() {
        if (!isComplete()) {
            throw new IllegalStateException("Authentication exchange has not completed");
        }
        return authorizationId;
    }

    @Override
    public String getMechanismName() {
        return PlainSaslServer.PLAIN_MECHANISM;
    }

    @Override
    public Object getNegotiatedProperty(String propName) {
        return plain.getNegotiatedProperty(propName);
    }

    @Override
    public boolean isComplete() {
        return authorizationId != null && plain.isComplete();
    }

    @Override
    public byte[] unwrap(byte[] incoming, int offset, int len) throws SaslException {
        return plain.unwrap(incoming, offset, len);
    }

    @Override
    public byte[] wrap(byte[] outgoing, int offset, int len) throws SaslException {
        return plain.wrap(outgoing, offset, len);
    }

    @Override
    public void dispose() throws SaslException {
        plain.dispose();
    }

    /** The factory {@link NamespaceSaslProvider} names. */
    public static final class Factory implements SaslServerFactory {
        @Override
        public SaslServer createSaslServer(String mechanism, String protocol, String serverName, Map<String, ?> props,
                                           CallbackHandler cbh) throws SaslException {
            if (!PlainSaslServer.PLAIN_MECHANISM.equals(mechanism)) {
                throw new SaslException(String.format("Mechanism '%s' is not supported. Only PLAIN is supported.", mechanism));
            }
            return new NamespacePlainSaslServer(cbh);
        }

        @Override
        public String[] getMechanismNames(Map<String, ?> props) {
            if (props == null) {
                return new String[] {PlainSaslServer.PLAIN_MECHANISM};
            }
            String noPlainText = (String) props.get(Sasl.POLICY_NOPLAINTEXT);
            return "true".equals(noPlainText) ? new String[] {} : new String[] {PlainSaslServer.PLAIN_MECHANISM};
        }
    }

    /** Registers {@link Factory} for PLAIN. */
    static final class NamespaceSaslProvider extends Provider {
        private static final long serialVersionUID = 1L;
        static final String NAME = "StreamopsTestbedSaslPlain";

        NamespaceSaslProvider() {
            super(NAME, "1.0", "SASL/PLAIN server whose authorization id is the Event Hubs namespace and SAS rule");
            put("SaslServerFactory." + PlainSaslServer.PLAIN_MECHANISM, Factory.class.getName());
        }
    }
}
