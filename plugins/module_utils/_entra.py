# SPDX-License-Identifier: GPL-3.0-or-later
"""Kafka client settings for an Event Hubs namespace with Microsoft Entra ID (SASL OAUTHBEARER), Kafka's own handlers only.

Kafka 3.1+ (KIP-768) fetches tokens with the client-credentials grant (client id and secret in the JAAS line);
Kafka 4.1+ (KIP-1139) can send a client assertion read from a file instead, which is what AKS workload identity
gives a pod (a federated service account token at AZURE_FEDERATED_TOKEN_FILE): the same form Entra ID expects
(client_assertion_type jwt-bearer, client_assertion, client_id, scope, grant_type client_credentials).
"""

from __future__ import annotations

import re
from typing import Dict, Optional

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_connection import (
    jaas_quote,
    kafka_connection,
    oauthbearer_scope,
)

LOGIN_MODULE = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"
LOGIN_CALLBACK_HANDLER = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"
# Kafka 4.0+ refuses token endpoints (and 4.1+ assertion files) that these JVM system properties do not list.
ALLOWED_URLS_PROPERTY = "org.apache.kafka.sasl.oauthbearer.allowed.urls"
ALLOWED_FILES_PROPERTY = "org.apache.kafka.sasl.oauthbearer.allowed.files"
PUBLIC_AUTHORITY = "https://login.microsoftonline.com"
# Where AKS workload identity's webhook mounts the federated token (AZURE_FEDERATED_TOKEN_FILE).
WORKLOAD_IDENTITY_TOKEN_FILE = "/var/run/secrets/azure/tokens/azure-identity-token"
CREDENTIALS = ("client_secret", "workload_identity")
# Matched with fullmatch: a '$'-anchored pattern would accept a trailing newline.
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TENANT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,}")
_HTTPS_URL = re.compile(r"https://[^/\s]+(/[^\s]*)?")


def is_guid(value: object) -> bool:
    return isinstance(value, str) and GUID.fullmatch(value) is not None


def token_endpoint(authority: str, tenant: str) -> str:
    return "%s/%s/oauth2/v2.0/token" % (authority.rstrip("/"), tenant)


def oauthbearer_errors(tenant: Optional[str], client_id: Optional[str], secret: Optional[str], credential: str,
                       authority: Optional[str]) -> list:
    errors = []
    if not isinstance(tenant, str) or not (GUID.fullmatch(tenant) or _TENANT_NAME.fullmatch(tenant)):
        errors.append("eventhub_entra_tenant_id must be the directory (tenant) id, a GUID, or its domain "
                      "(contoso.onmicrosoft.com); got %r" % (tenant,))
    if not is_guid(client_id):
        errors.append("eventhub_entra_client_id must be the application (client) id of Connect's app registration "
                      "or managed identity, a GUID; got %r" % (client_id,))
    if credential not in CREDENTIALS:
        errors.append("eventhub_entra_credential must be one of %s; got %r" % (", ".join(CREDENTIALS), credential))
    elif credential == "client_secret" and not secret:
        errors.append("eventhub_entra_client_secret is required with eventhub_entra_credential=client_secret "
                      "(the secret's value, not its id)")
    if authority is not None and not (isinstance(authority, str) and _HTTPS_URL.fullmatch(authority)):
        errors.append("eventhub_entra_authority must be an https URL such as %s; got %r" % (PUBLIC_AUTHORITY, authority))
    return errors


def oauthbearer_settings(endpoint: str, tenant: str, client_id: str, secret: Optional[str] = None,
                         credential: str = "client_secret", authority: Optional[str] = None,
                         token_endpoint_url: Optional[str] = None,
                         assertion_file: str = WORKLOAD_IDENTITY_TOKEN_FILE) -> Dict[str, str]:
    """eventhub_kafka_connection for Entra ID, for the namespace endpoint Azure answered (its serviceBusEndpoint).
    sasl_jaas_config holds the client secret; everything else is not secret."""
    url = token_endpoint_url or token_endpoint(authority or PUBLIC_AUTHORITY, tenant)
    scope = oauthbearer_scope(endpoint)
    options = ["clientId=%s" % jaas_quote(client_id)]
    if credential == "client_secret":
        options.append("clientSecret=%s" % jaas_quote(secret or ""))
    options.append("scope=%s" % jaas_quote(scope))
    extra = {
        "sasl_oauthbearer_token_endpoint_url": url,
        "sasl_oauthbearer_scope": scope,
        "sasl_login_callback_handler_class": LOGIN_CALLBACK_HANDLER,
        "jvm_options": "-D%s=%s" % (ALLOWED_URLS_PROPERTY, url),
    }
    if credential == "workload_identity":
        extra["sasl_oauthbearer_assertion_file"] = assertion_file
        extra["jvm_options"] += " -D%s=%s" % (ALLOWED_FILES_PROPERTY, assertion_file)
    return kafka_connection(endpoint, "OAUTHBEARER", "%s required %s;" % (LOGIN_MODULE, " ".join(options)), extra)
