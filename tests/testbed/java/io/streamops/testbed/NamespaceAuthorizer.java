// SPDX-License-Identifier: GPL-3.0-or-later
package io.streamops.testbed;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.metadata.authorizer.StandardAuthorizer;
import org.apache.kafka.server.authorizer.Action;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;
import org.apache.kafka.server.authorizer.AuthorizationResult;

/**
 * Kafka's own ACL authorizer (the ACLs are the SAS rules' rights, written by the ARM test double's
 * namespace sync), which also remembers which namespace asked to create a topic: Kafka's
 * CreateTopicPolicy is not told the principal, and {@link NamespaceTopicPolicy} needs the namespace
 * whose event hub the new topic becomes.
 */
public class NamespaceAuthorizer extends StandardAuthorizer {
    private static final long CREATOR_TTL_NANOS = 60_000_000_000L;
    private static final Map<String, Creator> CREATORS = new ConcurrentHashMap<>();

    private static final class Creator {
        final String namespace;
        final long at;

        Creator(String namespace) {
            this.namespace = namespace;
            this.at = System.nanoTime();
        }
    }

    @Override
    public List<AuthorizationResult> authorize(AuthorizableRequestContext context, List<Action> actions) {
        List<AuthorizationResult> results = super.authorize(context, actions);
        String namespace = namespaceOf(context.principal());
        for (int i = 0; i < actions.size(); i++) {
            Action action = actions.get(i);
            if (action.operation() != AclOperation.CREATE || action.resourcePattern().resourceType() != ResourceType.TOPIC) {
                continue;
            }
            String topic = action.resourcePattern().name();
            if (namespace != null && results.get(i) == AuthorizationResult.ALLOWED) {
                CREATORS.put(topic, new Creator(namespace));
            } else {
                CREATORS.remove(topic);
            }
        }
        return results;
    }

    /** The namespace of a {@code User:<namespace>/<rule>} principal, or null (operator, broker, controller). */
    static String namespaceOf(KafkaPrincipal principal) {
        if (principal == null || !KafkaPrincipal.USER_TYPE.equals(principal.getPrincipalType())) {
            return null;
        }
        int slash = principal.getName().indexOf('/');
        return slash > 0 ? principal.getName().substring(0, slash) : null;
    }

    /** The namespace that was just authorized to create this topic, if any; forgets it. */
    static String takeCreator(String topic) {
        Creator creator = CREATORS.remove(topic);
        if (creator == null || System.nanoTime() - creator.at > CREATOR_TTL_NANOS) {
            return null;
        }
        return creator.namespace;
    }
}
