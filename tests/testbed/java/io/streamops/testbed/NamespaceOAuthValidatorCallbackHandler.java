// SPDX-License-Identifier: GPL-3.0-or-later
package io.streamops.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerExtensionsValidatorCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler;
import org.jose4j.json.JsonUtil;
import org.jose4j.lang.JoseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Microsoft Entra ID logins the way an Event Hubs namespace takes them, validated by Kafka's own
 * {@link OAuthBearerValidatorCallbackHandler}: RS256 signature against the ARM test double's JWKS
 * ({@code sasl.oauthbearer.jwks.endpoint.url}), issuer ({@code sasl.oauthbearer.expected.issuer}), expiry,
 * not-before, and audience = the namespace.
 *
 * <p>One broker plays every namespace, and namespaces come and go, so no static
 * {@code sasl.oauthbearer.expected.audience} fits: this handler reads the token's (not yet verified)
 * audience, takes only {@code https://<namespace>.servicebus.windows.net}, and hands the token to a Kafka
 * validator configured with exactly that expected audience (one per namespace, made on its first login).
 * A valid token's principal becomes {@code <namespace>/<oid>}, the name the double's namespace sync gives the
 * ACLs of the principal's Event Hubs data role assignments (and {@link NamespaceAuthorizer} reads the
 * namespace from).
 */
public final class NamespaceOAuthValidatorCallbackHandler implements AuthenticateCallbackHandler {
    private static final Logger LOG = LoggerFactory.getLogger(NamespaceOAuthValidatorCallbackHandler.class);
    private static final Pattern NAMESPACE_AUDIENCE =
        Pattern.compile("^https://([a-z0-9][a-z0-9-]{4,48}[a-z0-9])\\.servicebus\\.windows\\.net/?$", Pattern.CASE_INSENSITIVE);

    private final Map<String, OAuthBearerValidatorCallbackHandler> byAudience = new ConcurrentHashMap<>();
    private Map<String, ?> configs;
    private String mechanism;
    private List<AppConfigurationEntry> jaasConfigEntries;
    private OAuthBearerValidatorCallbackHandler extensions;
    private String namespace;

    @Override
    public void configure(Map<String, ?> configs, String saslMechanism, List<AppConfigurationEntry> jaasConfigEntries) {
        this.configs = configs;
        this.mechanism = saslMechanism;
        this.jaasConfigEntries = jaasConfigEntries;
        // A namespace's own broker (JAAS option namespace) takes only tokens for that namespace.
        for (AppConfigurationEntry entry : jaasConfigEntries) {
            Object only = entry.getOptions().get("namespace");
            if (only != null && !only.toString().isBlank()) {
                namespace = only.toString().strip().toLowerCase(Locale.ROOT);
            }
        }
    }

    private OAuthBearerValidatorCallbackHandler kafkaValidator(String audience) {
        Map<String, Object> scoped = new HashMap<>(configs);
        if (audience != null) {
            scoped.put(SaslConfigs.SASL_OAUTHBEARER_EXPECTED_AUDIENCE, List.of(audience));
        }
        OAuthBearerValidatorCallbackHandler kafka = new OAuthBearerValidatorCallbackHandler();
        kafka.configure(scoped, mechanism, jaasConfigEntries);
        return kafka;
    }

    @Override
    public void handle(Callback[] callbacks) throws IOException, UnsupportedCallbackException {
        for (Callback callback : callbacks) {
            if (callback instanceof OAuthBearerValidatorCallback) {
                validate((OAuthBearerValidatorCallback) callback);
            } else if (callback instanceof OAuthBearerExtensionsValidatorCallback) {
                synchronized (this) {
                    if (extensions == null) {
                        extensions = kafkaValidator(null);
                    }
                }
                extensions.handle(new Callback[] {callback});
            } else {
                throw new UnsupportedCallbackException(callback);
            }
        }
    }

    private void validate(OAuthBearerValidatorCallback callback) throws IOException, UnsupportedCallbackException {
        Map<String, Object> unverified = claims(callback.tokenValue());
        String audience = unverified == null ? null : namespaceAudience(unverified.get("aud"));
        if (audience == null) {
            LOG.info("OAUTHBEARER token refused: audience {} is not an Event Hubs namespace",
                     unverified == null ? "(unreadable token)" : unverified.get("aud"));
            callback.error("invalid_token", null, null);
            return;
        }
        if (namespace != null && !namespace.equals(namespaceOf(audience))) {
            LOG.info("OAUTHBEARER token refused: audience {} is another namespace than {}", audience, namespace);
            callback.error("invalid_token", null, null);
            return;
        }
        byAudience.computeIfAbsent(audience, this::kafkaValidator).handle(new Callback[] {callback});
        OAuthBearerToken token = callback.token();
        if (token == null) {
            return;
        }
        Object oid = unverified.get("oid");
        if (oid == null) {
            callback.error("invalid_token", null, null);
            return;
        }
        callback.token(new NamespaceToken(token, namespaceOf(audience) + "/" + oid));
    }

    /** The payload of a compact JWS, or null. Read before Kafka verifies it only to pick the validator. */
    private static Map<String, Object> claims(String token) {
        try {
            String[] parts = token.split("\\.");
            return JsonUtil.parseJson(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
        } catch (JoseException | IllegalArgumentException | ArrayIndexOutOfBoundsException | NullPointerException unreadable) {
            return null;
        }
    }

    /** The first namespace audience of {@code aud} (a string or a list, as JWT allows), or null. */
    static String namespaceAudience(Object audience) {
        Collection<?> values = audience instanceof Collection ? (Collection<?>) audience : List.of(String.valueOf(audience));
        for (Object value : values) {
            if (NAMESPACE_AUDIENCE.matcher(String.valueOf(value)).matches()) {
                return String.valueOf(value);
            }
        }
        return null;
    }

    static String namespaceOf(String audience) {
        Matcher match = NAMESPACE_AUDIENCE.matcher(audience);
        return match.matches() ? match.group(1).toLowerCase(Locale.ROOT) : null;
    }

    @Override
    public void close() {
        byAudience.values().forEach(OAuthBearerValidatorCallbackHandler::close);
        byAudience.clear();
        if (extensions != null) {
            extensions.close();
        }
    }

    /** The validated token under the namespace principal. */
    private static final class NamespaceToken implements OAuthBearerToken {
        private final OAuthBearerToken validated;
        private final String principal;

        NamespaceToken(OAuthBearerToken validated, String principal) {
            this.validated = validated;
            this.principal = principal;
        }

        @Override
        public String value() {
            return validated.value();
        }

        @Override
        public Set<String> scope() {
            return validated.scope();
        }

        @Override
        public long lifetimeMs() {
            return validated.lifetimeMs();
        }

        @Override
        public String principalName() {
            return principal;
        }

        @Override
        public Long startTimeMs() {
            return validated.startTimeMs();
        }
    }
}
