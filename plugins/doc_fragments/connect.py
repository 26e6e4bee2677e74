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
