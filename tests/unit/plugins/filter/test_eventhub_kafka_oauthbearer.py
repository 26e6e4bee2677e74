# SPDX-License-Identifier: GPL-3.0-or-later
"""The Entra ID (OAUTHBEARER) Kafka settings the eventhub role publishes, and the input they refuse."""

from __future__ import annotations

import os
import sys

import pytest
from ansible.errors import AnsibleFilterError

sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.filter import eventhub_kafka_oauthbearer  # noqa: E402

oauthbearer = eventhub_kafka_oauthbearer.FilterModule().filters()["eventhub_kafka_oauthbearer"]
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "6f1c3a7e-0d2b-4c55-9b7e-1a2b3c4d5e6f"


def test_client_secret_settings_use_kafkas_own_handlers_and_the_namespace_scope() -> None:
    settings = oauthbearer("contoso-ehns", tenant=TENANT, client_id=CLIENT, secret='a"b\\c~d')
    url = "https://login.microsoftonline.com/%s/oauth2/v2.0/token" % TENANT
    assert settings == {
        "bootstrap_servers": "contoso-ehns.servicebus.windows.net:9093",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "OAUTHBEARER",
        "sasl_jaas_config": 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required '
                            'clientId="%s" clientSecret="a\\"b\\\\c~d" scope="https://contoso-ehns.servicebus.windows.net/.default";'
                            % CLIENT,
        "sasl_oauthbearer_token_endpoint_url": url,
        "sasl_oauthbearer_scope": "https://contoso-ehns.servicebus.windows.net/.default",
        "sasl_login_callback_handler_class": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
        "jvm_options": "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=" + url,
    }


def test_workload_identity_sends_the_federated_token_file_and_no_secret() -> None:
    settings = oauthbearer("contoso-ehns", tenant="contoso.onmicrosoft.com", client_id=CLIENT, credential="workload_identity",
                           authority="https://login.microsoftonline.us/")
    assert "clientSecret" not in settings["sasl_jaas_config"] and 'clientId="%s"' % CLIENT in settings["sasl_jaas_config"]
    assert settings["sasl_oauthbearer_token_endpoint_url"] == "https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token"
    assert settings["sasl_oauthbearer_assertion_file"] == "/var/run/secrets/azure/tokens/azure-identity-token"
    assert settings["jvm_options"].endswith(" -Dorg.apache.kafka.sasl.oauthbearer.allowed.files="
                                            "/var/run/secrets/azure/tokens/azure-identity-token")


@pytest.mark.parametrize("kwargs, message", [
    ({"tenant": "", "client_id": CLIENT, "secret": "s3cr3t"}, "eventhub_entra_tenant_id must be"),
    ({"tenant": TENANT, "client_id": "connect-app", "secret": "s3cr3t"}, "eventhub_entra_client_id must be"),
    ({"tenant": TENANT, "client_id": CLIENT}, "eventhub_entra_client_secret is required"),
    ({"tenant": TENANT, "client_id": CLIENT, "secret": "s3cr3t", "credential": "certificate"}, "eventhub_entra_credential must"),
    ({"tenant": TENANT, "client_id": CLIENT, "secret": "s3cr3t", "authority": "http://login"}, "eventhub_entra_authority must"),
])
def test_bad_input_is_refused_naming_the_variable_and_never_the_secret(kwargs, message) -> None:
    with pytest.raises(AnsibleFilterError, match=message) as refused:
        oauthbearer("contoso-ehns", **kwargs)
    assert "s3cr3t" not in str(refused.value)
