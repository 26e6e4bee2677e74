# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: the Kafka connection settings of an Event Hubs namespace with Microsoft Entra ID (SASL OAUTHBEARER)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: eventhub_kafka_oauthbearer
version_added: 0.2.0
short_description: Kafka settings (OAUTHBEARER, Kafka's own OAuth handlers) for an Event Hubs namespace and an Entra ID app
description:
  - Builds the C(eventhub_kafka_connection) the eventhub role publishes with C(eventhub_kafka_auth=entra), that is
    bootstrap servers C(<host>:9093), C(SASL_SSL), C(OAUTHBEARER), the C(OAuthBearerLoginModule) JAAS line (client
    id, client secret, scope C(https://<host>/.default)), the tenant's token endpoint, Kafka's
    C(OAuthBearerLoginCallbackHandler), and the JVM options that allow the token endpoint (Kafka 4.0+).
  - C(<host>) is the host of the namespace endpoint Azure answers (C(service_bus_endpoint) of
    M(streamops.eventhub_connect.eventhub_namespace) or M(streamops.eventhub_connect.eventhub_info)), so the
    settings hold for every cloud; the same code builds the SAS settings (P(streamops.eventhub_connect.eventhub_kafka_sas#filter)).
  - With O(credential=workload_identity) the JAAS line carries no secret and the settings name the federated
    token file that AKS workload identity mounts, sent as a client assertion (Kafka 4.1+, KIP-1139).
  - C(sasl_jaas_config) of the result holds the client secret; use the result only in tasks with C(no_log).
positional: _input
options:
  _input:
    description:
      - The namespace's endpoint as Azure answers it (C(service_bus_endpoint), for example
        C(https://contoso-connect-ehns.servicebus.chinacloudapi.cn:443/)).
      - A bare namespace name (no dot) stands for the public cloud's C(<name>.servicebus.windows.net), as before 0.3.0.
    type: str
    required: true
  tenant:
    description: Directory (tenant) id or domain.
    type: str
    required: true
  client_id:
    description: Application (client) id Connect logs in as.
    type: str
    required: true
  secret:
    description: Client secret (with O(credential=client_secret)).
    type: str
  credential:
    description: V(client_secret) or V(workload_identity).
    type: str
    default: client_secret
  authority:
    description: Entra ID authority host; the public cloud's by default.
    type: str
    default: https://login.microsoftonline.com
  token_endpoint_url:
    description: The token endpoint, when it is not C(<authority>/<tenant>/oauth2/v2.0/token).
    type: str
  assertion_file:
    description: File of the federated token (O(credential=workload_identity)).
    type: str
    default: /var/run/secrets/azure/tokens/azure-identity-token
author:
  - streamops (@streamops)
"""

EXAMPLES = r"""
---
- name: Kafka settings for Connect's app registration
  ansible.builtin.set_fact:
    eventhub_kafka_connection: "{{ namespace_info.namespace.service_bus_endpoint
      | streamops.eventhub_connect.eventhub_kafka_oauthbearer(tenant=tenant_id, client_id=connect_client_id,
                                                             secret=connect_client_secret) }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The connection settings (bootstrap_servers, security_protocol, sasl_mechanism, sasl_jaas_config,
    sasl_oauthbearer_token_endpoint_url, sasl_oauthbearer_scope, sasl_login_callback_handler_class, jvm_options,
    and sasl_oauthbearer_assertion_file with workload identity).
  type: dict
"""

from typing import Any, Callable, Dict, Optional

from ansible.errors import AnsibleFilterError

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._entra import (
    PUBLIC_AUTHORITY,
    WORKLOAD_IDENTITY_TOKEN_FILE,
    oauthbearer_errors,
    oauthbearer_settings,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_connection import given_endpoint


def eventhub_kafka_oauthbearer(namespace: Any, tenant: Optional[str] = None, client_id: Optional[str] = None,
                               secret: Optional[str] = None, credential: str = "client_secret",
                               authority: Optional[str] = PUBLIC_AUTHORITY, token_endpoint_url: Optional[str] = None,
                               assertion_file: str = WORKLOAD_IDENTITY_TOKEN_FILE) -> Dict[str, str]:
    try:
        endpoint = given_endpoint(namespace)
    except ValueError as exc:
        raise AnsibleFilterError("eventhub_kafka_oauthbearer: %s" % exc)
    errors = oauthbearer_errors(tenant, client_id, secret, credential, authority or PUBLIC_AUTHORITY)
    if errors:
        raise AnsibleFilterError("; ".join(errors))
    return oauthbearer_settings(endpoint, str(tenant), str(client_id), secret, credential, authority, token_endpoint_url,
                                assertion_file)


class FilterModule:
    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {"eventhub_kafka_oauthbearer": eventhub_kafka_oauthbearer}
