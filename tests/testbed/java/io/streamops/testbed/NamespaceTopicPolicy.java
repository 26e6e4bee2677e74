// SPDX-License-Identifier: GPL-3.0-or-later
package io.streamops.testbed;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.server.policy.AlterConfigPolicy;
import org.apache.kafka.server.policy.CreateTopicPolicy;

/**
 * The namespace's word on CreateTopics and AlterConfigs: both ask the ARM test double's namespace
 * sync (loopback HTTP; its URL is in the file named by the system property
 * {@code streamops.testbed.sync.url.file}), which applies the double's own event hub validation
 * (topic budget, partitions per tier, compaction, retention) and creates or updates the event hub.
 * A refusal reaches the client as POLICY_VIOLATION with the double's message.
 *
 * <p>CreateTopics by a principal without a namespace (the testbed operator, the broker itself) is
 * not an event hub and is not asked about. Without a running double (no URL file) AlterConfigs is
 * not asked about either.
 */
public final class NamespaceTopicPolicy implements CreateTopicPolicy, AlterConfigPolicy {
    static final String URL_FILE_PROPERTY = "streamops.testbed.sync.url.file";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
    private int defaultPartitions = 1;

    @Override
    public void configure(Map<String, ?> configs) {
        Object partitions = configs.get("num.partitions");
        if (partitions != null) {
            defaultPartitions = Integer.parseInt(partitions.toString());
        }
    }

    @Override
    public void validate(CreateTopicPolicy.RequestMetadata request) {
        String namespace = NamespaceAuthorizer.takeCreator(request.topic());
        if (namespace == null) {
            return;
        }
        int partitions = defaultPartitions;
        if (request.numPartitions() != null && request.numPartitions() > 0) {
            partitions = request.numPartitions();
        } else if (request.replicasAssignments() != null && !request.replicasAssignments().isEmpty()) {
            partitions = request.replicasAssignments().size();
        }
        String body = "{\"namespace\":" + quote(namespace) + ",\"topic\":" + quote(request.topic())
            + ",\"partitions\":" + partitions + ",\"configs\":" + object(request.configs()) + "}";
        String url = syncUrl();
        if (url == null) {
            throw new PolicyViolationException("Topic '" + request.topic() + "' cannot become an event hub of namespace '"
                + namespace + "': the ARM test double is not running.");
        }
        post(url + "/topics", body);
    }

    @Override
    public void validate(AlterConfigPolicy.RequestMetadata request) {
        if (request.resource().type() != ConfigResource.Type.TOPIC) {
            return;
        }
        String url = syncUrl();
        if (url == null) {
            return;
        }
        post(url + "/configs", "{\"topic\":" + quote(request.resource().name()) + ",\"configs\":" + object(request.configs()) + "}");
    }

    private void post(String url, String body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
        HttpResponse<String> response = null;
        for (int attempt = 1; response == null; attempt++) {
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException error) {
                // One retry: a double that restarts between reading its URL file and the call.
                if (attempt == 2) {
                    throw new PolicyViolationException("The ARM test double's namespace sync is not reachable: " + error);
                }
            } catch (InterruptedException error) {
                Thread.currentThread().interrupt();
                throw new PolicyViolationException("Interrupted while asking the ARM test double's namespace sync");
            }
        }
        if (response.statusCode() != 200) {
            throw new PolicyViolationException(response.body());
        }
    }

    private static String syncUrl() {
        String file = System.getProperty(URL_FILE_PROPERTY);
        if (file == null) {
            return null;
        }
        Path path = Paths.get(file);
        try {
            String url = Files.readString(path, StandardCharsets.UTF_8).strip();
            return url.isEmpty() ? null : url;
        } catch (NoSuchFileException missing) {
            return null;
        } catch (IOException unreadable) {
            throw new PolicyViolationException("Cannot read " + path + ": " + unreadable);
        }
    }

    private static String object(Map<String, String> values) {
        StringBuilder json = new StringBuilder("{");
        for (Map.Entry<String, String> entry : new TreeMap<>(values == null ? Map.<String, String>of() : values).entrySet()) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append(quote(entry.getKey())).append(':').append(entry.getValue() == null ? "null" : quote(entry.getValue()));
        }
        return json.append('}').toString();
    }

    static String quote(String text) {
        StringBuilder json = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                json.append('\\').append(c);
            } else if (c < 0x20) {
                json.append(String.format("\\u%04x", (int) c));
            } else {
                json.append(c);
            }
        }
        return json.append('"').toString();
    }

    @Override
    public void close() {
        // HttpClient needs no closing before Java 21.
    }
}
