// SPDX-License-Identifier: GPL-3.0-or-later
package io.streamops.testbed;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.plain.PlainAuthenticateCallback;
import org.apache.kafka.common.security.plain.PlainLoginModule;

/**
 * SASL/PLAIN server check the way Azure Event Hubs does it: the user name must be
 * {@code $ConnectionString} and the password one of the namespace connection strings
 * currently valid.
 *
 * <p>The valid strings are the lines of the files named by the listener's JAAS options
 * {@code credentials_files} (the ARM test double's namespace connection strings) and
 * {@code operator_credentials_files} (the testbed's own), each a list separated by the platform's
 * path separator. The ARM test double rewrites its file atomically when keys change, so each file
 * is re-read whenever its identity, size or mtime changes. The JAAS {@code password} option (the
 * broker's own inter-broker credential) is accepted too.
 *
 * <p>{@link NamespacePrincipalCallback} names the principal of a valid password: {@code
 * <namespace>/<rule>} from a namespace connection string's endpoint and {@code SharedAccessKeyName},
 * {@code operator} for an operator line, {@code broker} for the inter-broker password. Configuring
 * this handler installs {@link NamespacePlainSaslServer}, which asks for it.
 *
 * <p>With the JAAS option {@code namespace} (a namespace's own broker), a connection string of any
 * other namespace is refused, as each Event Hubs namespace's endpoint takes only its own.
 */
public final class ConnectionStringCallbackHandler implements AuthenticateCallbackHandler {
    static final String USERNAME = "$ConnectionString";
    static final String OPERATOR = "operator";
    static final String BROKER = "broker";

    private final List<CredentialsFile> files = new ArrayList<>();
    private final List<CredentialsFile> operatorFiles = new ArrayList<>();
    private byte[] brokerPassword;
    private String namespace;

    @Override
    public void configure(Map<String, ?> configs, String saslMechanism, List<AppConfigurationEntry> jaasConfigEntries) {
        for (AppConfigurationEntry entry : jaasConfigEntries) {
            if (!PlainLoginModule.class.getName().equals(entry.getLoginModuleName())) {
                continue;
            }
            addFiles(files, entry.getOptions().get("credentials_files"));
            addFiles(operatorFiles, entry.getOptions().get("operator_credentials_files"));
            Object only = entry.getOptions().get("namespace");
            if (only != null && !only.toString().isBlank()) {
                namespace = only.toString().strip().toLowerCase(Locale.ROOT);
            }
            Object password = entry.getOptions().get("password");
            if (password != null) {
                brokerPassword = password.toString().getBytes(StandardCharsets.UTF_8);
            }
        }
        if (files.isEmpty()) {
            throw new KafkaException("JAAS option credentials_files is required by " + getClass().getName());
        }
        NamespacePlainSaslServer.install();
    }

    private static void addFiles(List<CredentialsFile> into, Object paths) {
        if (paths == null) {
            return;
        }
        for (String path : paths.toString().split(File.pathSeparator)) {
            if (!path.isBlank()) {
                into.add(new CredentialsFile(Paths.get(path.strip())));
            }
        }
    }

    @Override
    public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
        String username = null;
        for (Callback callback : callbacks) {
            if (callback instanceof NameCallback) {
                username = ((NameCallback) callback).getDefaultName();
            } else if (callback instanceof PlainAuthenticateCallback) {
                PlainAuthenticateCallback plain = (PlainAuthenticateCallback) callback;
                plain.authenticated(USERNAME.equals(username) && principalOf(plain.password()) != null);
            } else if (callback instanceof NamespacePrincipalCallback) {
                NamespacePrincipalCallback principal = (NamespacePrincipalCallback) callback;
                principal.principal(principalOf(principal.password()));
            } else {
                throw new UnsupportedCallbackException(callback);
            }
        }
    }

    /** The principal name of a valid password, or null. */
    private String principalOf(char[] password) {
        byte[] offered = new String(password).getBytes(StandardCharsets.UTF_8);
        // Constant-time compares, and no early exit: the testbed should not teach timing leaks.
        boolean broker = brokerPassword != null && MessageDigest.isEqual(offered, brokerPassword);
        boolean namespace = matchesAny(files, offered);
        boolean operator = matchesAny(operatorFiles, offered);
        if (broker) {
            return BROKER;
        }
        if (operator) {
            return OPERATOR;
        }
        String rule = namespace ? namespaceRule(new String(password)) : null;
        if (rule != null && this.namespace != null && !rule.startsWith(this.namespace + "/")) {
            return null;
        }
        return rule;
    }

    private static boolean matchesAny(List<CredentialsFile> from, byte[] offered) {
        boolean valid = false;
        for (CredentialsFile file : from) {
            for (byte[] secret : file.secrets()) {
                valid |= MessageDigest.isEqual(offered, secret);
            }
        }
        return valid;
    }

    /** {@code <namespace>/<rule>} of {@code Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=<rule>;...}. */
    static String namespaceRule(String connectionString) {
        String host = null;
        String rule = null;
        for (String part : connectionString.split(";")) {
            int equals = part.indexOf('=');
            if (equals < 0) {
                continue;
            }
            String key = part.substring(0, equals).strip();
            String value = part.substring(equals + 1).strip();
            if ("Endpoint".equalsIgnoreCase(key)) {
                String rest = value.replaceFirst("^[A-Za-z]+://", "");
                host = rest.split("[/:]", 2)[0];
            } else if ("SharedAccessKeyName".equalsIgnoreCase(key)) {
                rule = value;
            }
        }
        if (host == null || host.isEmpty() || rule == null || rule.isEmpty()) {
            return null;
        }
        return host.split("\\.", 2)[0].toLowerCase(Locale.ROOT) + "/" + rule;
    }

    @Override
    public void close() {
        files.clear();
        operatorFiles.clear();
    }

    /** One file of connection strings, one a line, cached until it changes on disk. */
    private static final class CredentialsFile {
        private final Path path;
        private Object stamp;
        private List<byte[]> secrets = Collections.emptyList();

        CredentialsFile(Path path) {
            this.path = path;
        }

        synchronized List<byte[]> secrets() {
            Object current;
            try {
                BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
                current = List.of(Objects.toString(attributes.fileKey()), attributes.size(), attributes.lastModifiedTime());
            } catch (NoSuchFileException missing) {
                stamp = null;
                secrets = Collections.emptyList();
                return secrets;
            } catch (IOException unreadable) {
                // Keep the last good list rather than lock every client out on a transient error.
                return secrets;
            }
            if (!current.equals(stamp)) {
                try {
                    secrets = read(path);
                    stamp = current;
                } catch (IOException unreadable) {
                    return secrets;
                }
            }
            return secrets;
        }

        private static List<byte[]> read(Path path) throws IOException {
            List<byte[]> lines = new ArrayList<>();
            for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
                String secret = line.strip();
                if (!secret.isEmpty() && !secret.startsWith("#")) {
                    lines.add(secret.getBytes(StandardCharsets.UTF_8));
                }
            }
            return lines;
        }
    }
}
