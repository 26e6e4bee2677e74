# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this doc fragment is **PRIVATE** to the collection. It can change at any time.
"""Options of the modules that talk to the Kafka Connect REST API."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the Kafka Connect REST API, for example V(https://connect.example.com) or
        V(http://127.0.0.1:8083) behind a port-forward.
      - Mutually exclusive with O(service). Without O(url), the module goes through the Kubernetes
        API server's service proxy to O(namespace)/O(service):O(port), with the kubernetes.core
        authentication options.
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the endpoint the module talks to.
      - With O(url), that is Kafka Connect; the default is V(true).
      - Through the service proxy, that is the Kubernetes API server, exactly as in
        kubernetes.core; it falls back to E(K8S_AUTH_VERIFY_SSL).
    type: bool
    aliases: [verify_ssl]
  ca_path:
    description:
      - PEM file of the certificate authorities that signed Kafka Connect's certificate (with O(url)).
      - For the API server's CA, use O(ca_cert).
    type: path
  client_cert:
    description:
      - PEM client certificate for mutual TLS with the endpoint the module talks to (Kafka Connect
        with O(url), the API server through the service proxy, as in kubernetes.core).
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - PEM private key of O(client_cert).
    type: path
    aliases: [key_file]
  url_username:
    description:
      - User name for HTTP basic authentication to Kafka Connect (with O(url)).
    type: str
  url_password:
    description:
      - Password for HTTP basic authentication to Kafka Connect (with O(url)). Never logged.
    type: str
  namespace:
    description:
      - Namespace of the Kafka Connect Service, for the service proxy.
      - Required with O(service).
    type: str
  service:
    description:
      - Name of the Kafka Connect Service, reached through the API server's service proxy
        (C(/api/v1/namespaces/NAMESPACE/services/SERVICE:PORT/proxy/...)).
      - Mutually exclusive with O(url).
    type: str
  port:
    description:
      - Port number or port name of the Service, for the service proxy.
    type: str
    default: "8083"
  scheme:
    description:
      - Scheme the API server uses to reach the Service port.
    type: str
    choices: [http, https]
    default: http
"""

    # The answers every Connect module waits through; modules name their own deadline option.
    RETRIES = r"""
options: {}
notes:
  - Retries, until its deadline, while Connect answers 409 (a rebalance is in progress), 429, 500 with a
    C(RebalanceNeededException), or 404 from a worker that is still starting (no C(error_code) in the
    answer), while the service proxy answers 502-504 (no ready endpoint), and after a transport failure
    (refused, reset, a connection cut mid-answer, an answer that is not HTTP). Any worker accepts the
    calls; it forwards writes to the leader.
  - O(timeout) bounds the whole call, including an answer whose body trickles in; a body that is not
    UTF-8 JSON is a failure naming the URL and quoting what came back.
  - Input is checked before the first request. O(url) needs an C(http://) or C(https://) scheme and a
    host, O(timeout) cannot be negative and O(request_timeout) must be positive.
"""

    # Attributes of the modules that change connectors.
    MANAGE = r"""
options: {}
attributes:
  check_mode:
    support: full
    description:
      - Reads the connectors and reports the changes and diff a real run would make, without making them.
      - A config that would be written is first checked with Connect's own validation
        (V(PUT /connector-plugins/CLASS/config/validate)), so check mode fails where the real run would.
  diff_mode:
    support: full
    description: Shows the config (secrets redacted) and run state before and after.
  idempotent:
    support: full
    description: A second run with the same arguments reports no change.
"""

    # Attributes of the modules that only read.
    # The workload a wait watches (connect_ready, and connect_connectors before its read).
    ROLLOUT = r"""
options:
  workload:
    description:
      - Name of the Deployment or StatefulSet (O(workload_kind)) in O(namespace) whose rollout to wait for
        before the REST API is asked. Requires O(namespace); with O(service), the Service's ready pods are
        also probed one by one.
    type: str
    version_added: 0.2.0
  workload_kind:
    description:
      - Kind of O(workload).
    type: str
    choices: [Deployment, StatefulSet]
    default: Deployment
    version_added: 0.2.0
  poll_interval:
    description:
      - Seconds between two reads of O(workload) when no watch event came first (with O(workload)); more than 0.
    type: float
    default: 1
    version_added: 0.2.0
"""

    READ_ONLY = r"""
options: {}
attributes:
  check_mode:
    support: full
    description: The module only reads; check mode runs exactly as a normal run.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
  idempotent:
    support: full
    description: The module never changes anything.
"""

    # How secrets in connector configs are kept out of Ansible's output and out of Connect.
    SECRETS = r"""
options: {}
notes:
  - Which settings are secret is decided in one place for the whole collection. Keys whose names contain
    C(password), C(passwd), C(passphrase), C(secret), C(jaas), C(token), C(credential), C(api.key),
    C(private.key), C(account.key), C(access.key), C(connection.string), C(user.info), C(keystore.key) or
    C(sas.key), and credentials inside other values (C(user:password@) in a URL, C(?password=...)). Their
    values are replaced by C(********) in results and diffs and masked anywhere else in the output.
  - A config that holds such a value in clear (not a C(${provider:...}) config provider placeholder) is
    refused before any request, unless C(allow_literal_secrets) is set for that connector, because Connect
    would store it in clear in its config topic and answer it to anyone who may call its REST API.
  - Connect answers V(GET) with the placeholder, not its value, so a config with placeholders compares
    equal on every run.
"""
