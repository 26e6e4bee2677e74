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
 * <p>The valid strings are the lines of the files named by the listener's JAAS option
 * {@code credentials_files} (separated by the platform's path separator). The ARM test
 * double rewrites its file atomically when keys change, so each file is re-read whenever
 * its identity, size or mtime changes. The JAAS {@code password} option (the broker's own
 * inter-broker credential) is accepted too.
 */
public final class ConnectionStringCallbackHandler implements AuthenticateCallbackHandler {
    static final String USERNAME = "$ConnectionString";

    private final List<CredentialsFile> files = new ArrayList<>();
    private byte[] brokerPassword;

    @Override
    public void configure(Map<String, ?> configs, String saslMechanism, List<AppConfigurationEntry> jaasConfigEntries) {
        for (AppConfigurationEntry entry : jaasConfigEntries) {
            if (!PlainLoginModule.class.getName().equals(entry.getLoginModuleName())) {
                continue;
            }
            Object paths = entry.getOptions().get("credentials_files");
            Object password = entry.getOptions().get("password");
            if (paths != null) {
                for (String path : paths.toString().split(File.pathSeparator)) {
                    if (!path.isBlank()) {
                        files.add(new CredentialsFile(Paths.get(path.strip())));
                    }
                }
            }
            if (password != null) {
                brokerPassword = password.toString().getBytes(StandardCharsets.UTF_8);
            }
        }
        if (files.isEmpty()) {
            throw new KafkaException("JAAS option credentials_files is required by " + getClass().getName());
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
                plain.authenticated(USERNAME.equals(username) && isValid(plain.password()));
            } else {
                throw new UnsupportedCallbackException(callback);
            }
        }
    }

    private boolean isValid(char[] password) {
        byte[] offered = new String(password).getBytes(StandardCharsets.UTF_8);
        // Constant-time compares, and no early exit: the testbed should not teach timing leaks.
        boolean valid = brokerPassword != null && MessageDigest.isEqual(offered, brokerPassword);
        for (CredentialsFile file : files) {
            for (byte[] secret : file.secrets()) {
                valid |= MessageDigest.isEqual(offered, secret);
            }
        }
        return valid;
    }

    @Override
    public void close() {
        files.clear();
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
