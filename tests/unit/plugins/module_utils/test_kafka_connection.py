# SPDX-License-Identifier: GPL-3.0-or-later
"""The one Kafka connection builder: SAS and Entra ID settings in each cloud, and check mode's prediction of them.

The real path is the one the modules take (the rule manager's keys, built on the endpoint Azure answered); the
prediction is the one the role takes in check mode (the namespace manager's predicted endpoint for the configured
cloud, through the role's filters). Both must give the same settings, the password aside.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, List

import pytest
from ansible.errors import AnsibleFilterError

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.filter.eventhub_kafka_oauthbearer import (  # noqa: E402
    eventhub_kafka_oauthbearer)
from ansible_collections.streamops.eventhub_connect.plugins.filter.eventhub_kafka_sas import (  # noqa: E402
    eventhub_kafka_sas)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils import _azure  # noqa: E402
from ansible_collections.streamops.eventhub_connect.plugins.module_utils import _kafka_connection as kafka  # noqa: E402
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._entra import oauthbearer_settings  # noqa: E402
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_model import (  # noqa: E402
    namespace_state_from_api)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_namespace import (  # noqa: E402
    NAMESPACE_OPTIONS, NamespaceManager)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_rule import (  # noqa: E402
    RULE_ARGUMENT_SPEC, AuthorizationRuleManager)

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "6f1c3a7e-0d2b-4c55-9b7e-1a2b3c4d5e6f"
PLACEHOLDER = "check mode: the connection string of rule kafka-connect"
# cloud_environment -> the namespace host suffix Azure uses there
CLOUDS = {"AzureCloud": "servicebus.windows.net", "AzureChinaCloud": "servicebus.chinacloudapi.cn",
          "AzureUSGovernment": "servicebus.usgovcloudapi.net"}


def azure_endpoint(namespace: str, suffix: str) -> str:
    """serviceBusEndpoint as Azure answers it in a namespace's GET."""
    return "https://%s.%s:443/" % (namespace, suffix)


def connection_string(namespace: str, suffix: str) -> str:
    return "Endpoint=sb://%s.%s/;SharedAccessKeyName=kafka-connect;SharedAccessKey=abc+/=" % (namespace, suffix)


class FakeModule:
    def __init__(self, params: Dict[str, Any], check_mode: bool = False) -> None:
        self.params = params
        self.check_mode = check_mode
        self._diff = False
        self.warnings: List[str] = []

    def warn(self, warning: str) -> None:
        self.warnings.append(warning)


class FakeNamespaces:
    def __init__(self, keys: Dict[str, Any]) -> None:
        self.keys = keys

    def list_keys(self, *_args: Any) -> Dict[str, Any]:
        return self.keys


class FakeClient:
    def __init__(self, keys: Dict[str, Any]) -> None:
        self.namespaces = FakeNamespaces(keys)


def real_sas_kafka(namespace: str, suffix: str, with_namespace_read: bool) -> Dict[str, str]:
    """The kafka result of the eventhub module (it read the namespace) or of eventhub_authorization_rule (it did not)."""
    params = {key: spec.get("default") for key, spec in RULE_ARGUMENT_SPEC.items()}
    params.update(name="kafka-connect", namespace_name=namespace, resource_group="rg", return_keys=True)
    manager = AuthorizationRuleManager(FakeModule(params))
    manager.client = FakeClient({"keyName": "kafka-connect", "primaryConnectionString": connection_string(namespace, suffix)})
    if with_namespace_read:
        answer = {"name": namespace, "properties": {"serviceBusEndpoint": azure_endpoint(namespace, suffix)}}
        manager.service_bus_endpoint = namespace_state_from_api(answer)["service_bus_endpoint"]
    return manager.keys()["kafka"]


def predicted_namespace(namespace: str, cloud: str) -> Dict[str, Any]:
    """What the eventhub module returns as namespace in check mode when the namespace does not exist yet."""
    params = {key: spec.get("default") for key, spec in NAMESPACE_OPTIONS.items()}
    params.update(name=namespace, resource_group="rg", state="present", location="westeurope",
                  cloud_environment=cloud, auth_source="auto")
    return NamespaceManager(FakeModule(params, check_mode=True)).present(None)["namespace"]


@pytest.mark.parametrize("cloud, suffix", sorted(CLOUDS.items()))
@pytest.mark.parametrize("with_namespace_read", [True, False])
def test_sas_settings_follow_the_endpoint_azure_answered_in_each_cloud(cloud, suffix, with_namespace_read) -> None:
    settings = real_sas_kafka("contoso-ehns", suffix, with_namespace_read)
    assert settings == {
        "bootstrap_servers": "contoso-ehns.%s:9093" % suffix,
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "PLAIN",
        "sasl_jaas_config": 'org.apache.kafka.common.security.plain.PlainLoginModule required '
                            'username="$ConnectionString" password="%s";' % connection_string("contoso-ehns", suffix),
    }, cloud


@pytest.mark.parametrize("cloud, suffix", sorted(CLOUDS.items()))
def test_entra_settings_follow_the_endpoint_azure_answered_in_each_cloud(cloud, suffix) -> None:
    settings = oauthbearer_settings(azure_endpoint("contoso-ehns", suffix), TENANT, CLIENT, "s3cr3t")
    scope = "https://contoso-ehns.%s/.default" % suffix
    assert settings["bootstrap_servers"] == "contoso-ehns.%s:9093" % suffix, cloud
    assert settings["sasl_oauthbearer_scope"] == scope
    assert settings["sasl_jaas_config"].endswith('scope="%s";' % scope)
    assert (settings["security_protocol"], settings["sasl_mechanism"]) == ("SASL_SSL", "OAUTHBEARER")


def test_public_cloud_settings_are_those_of_before_byte_for_byte() -> None:
    # the testbed and every existing deployment rely on these exact strings
    url = "https://login.microsoftonline.com/%s/oauth2/v2.0/token" % TENANT
    assert oauthbearer_settings("https://ns1.servicebus.windows.net:443/", TENANT, CLIENT, "s") == {
        "bootstrap_servers": "ns1.servicebus.windows.net:9093",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "OAUTHBEARER",
        "sasl_jaas_config": 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required '
                            'clientId="%s" clientSecret="s" scope="https://ns1.servicebus.windows.net/.default";' % CLIENT,
        "sasl_oauthbearer_token_endpoint_url": url,
        "sasl_oauthbearer_scope": "https://ns1.servicebus.windows.net/.default",
        "sasl_login_callback_handler_class": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
        "jvm_options": "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=" + url,
    }
    # the filter's old input, a bare namespace name, still means the public cloud
    assert eventhub_kafka_oauthbearer("ns1", tenant=TENANT, client_id=CLIENT, secret="s") == oauthbearer_settings(
        "https://ns1.servicebus.windows.net:443/", TENANT, CLIENT, "s")
    assert eventhub_kafka_sas("ns1", connection_string="pw")["bootstrap_servers"] == "ns1.servicebus.windows.net:9093"


@pytest.mark.parametrize("cloud, suffix", sorted(CLOUDS.items()))
def test_check_mode_prediction_agrees_with_the_real_run(cloud, suffix) -> None:
    predicted = predicted_namespace("contoso-ehns", cloud)
    assert predicted["service_bus_endpoint"] == azure_endpoint("contoso-ehns", suffix)
    # SAS: everything but the password, which exists only after the real run
    guess = eventhub_kafka_sas(predicted["service_bus_endpoint"], connection_string=PLACEHOLDER)
    real = real_sas_kafka("contoso-ehns", suffix, with_namespace_read=True)
    assert {k: v for k, v in guess.items() if k != "sasl_jaas_config"} == \
        {k: v for k, v in real.items() if k != "sasl_jaas_config"}
    assert guess["sasl_jaas_config"] == kafka.plain_jaas_config("$ConnectionString", PLACEHOLDER)
    # Entra ID: the same settings, secret included
    entra = {"tenant": TENANT, "client_id": CLIENT, "secret": "s3cr3t"}
    assert eventhub_kafka_oauthbearer(predicted["service_bus_endpoint"], **entra) == \
        eventhub_kafka_oauthbearer(azure_endpoint("contoso-ehns", suffix), **entra)


def test_a_custom_cloud_predicts_with_its_metadata_suffix_or_says_it_guesses(monkeypatch) -> None:
    monkeypatch.setenv(_azure.DISCOVERY_CACHE_ENV, "off")  # the metadata below stays in this process
    url = "https://management.contoso.example/metadata/endpoints?api-version=2022-09-01"
    entry = {"name": "Contoso", "resourceManager": "https://management.contoso.example/",
             "authentication": {"loginEndpoint": "https://login.contoso.example/", "audiences": ["https://m/"]}}
    with_suffix = _azure.parse_cloud_metadata([dict(entry, suffixes={"serviceBus": "servicebus.contoso.example"})], url)
    assert with_suffix.service_bus_suffix == "servicebus.contoso.example"
    assert _azure.parse_cloud_metadata([entry], url).service_bus_suffix is None
    for name, suffix in CLOUDS.items():
        assert _azure.KNOWN_CLOUDS[name].service_bus_suffix == suffix

    params = {key: spec.get("default") for key, spec in NAMESPACE_OPTIONS.items()}
    params.update(name="contoso-ehns", resource_group="rg", cloud_environment=url, auth_source="auto")
    module = FakeModule(params, check_mode=True)
    _azure.remember_discovery(url, b'[{"name": "Contoso", "resourceManager": "https://management.contoso.example/", '
                                   b'"authentication": {"loginEndpoint": "https://l/", "audiences": ["https://m/"]}}]')
    assert NamespaceManager(module).predicted_endpoint() == "https://contoso-ehns.servicebus.windows.net:443/"
    assert module.warnings and "names no Service Bus suffix" in module.warnings[0]


@pytest.mark.parametrize("endpoint, host", [
    ("https://Contoso-EHNS.servicebus.windows.net:443/", "contoso-ehns.servicebus.windows.net"),
    ("sb://contoso-ehns.servicebus.chinacloudapi.cn/", "contoso-ehns.servicebus.chinacloudapi.cn"),
    ("contoso-ehns.servicebus.usgovcloudapi.net", "contoso-ehns.servicebus.usgovcloudapi.net"),
])
def test_the_host_of_every_endpoint_form(endpoint, host) -> None:
    assert kafka.namespace_host(endpoint) == host
    assert kafka.bootstrap_servers(endpoint) == host + ":9093"


@pytest.mark.parametrize("endpoint", ["", "   ", "https://", "https:///x", "contoso-ehns", None])
def test_an_endpoint_without_a_namespace_host_is_refused(endpoint) -> None:
    with pytest.raises(ValueError):
        kafka.namespace_host(endpoint)


def test_filters_refuse_what_is_not_an_endpoint_or_a_password() -> None:
    with pytest.raises(AnsibleFilterError, match="service_bus_endpoint"):
        eventhub_kafka_sas(None, connection_string="pw")
    with pytest.raises(AnsibleFilterError, match="connection_string"):
        eventhub_kafka_sas("https://ns1.servicebus.windows.net:443/")


def test_jaas_line_escapes_backslashes_and_quotes_once() -> None:
    line = kafka.plain_jaas_config('us"er', 'pa\\ss"word\\"')
    assert line == ('org.apache.kafka.common.security.plain.PlainLoginModule required '
                    'username="us\\"er" password="pa\\\\ss\\"word\\\\\\"";')
    assert kafka.jaas_quote("plain") == '"plain"'
    quoted = kafka.sas_kafka_connection("sb://ns1.servicebus.windows.net/",
                                        "Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKey=a\\b\"c")
    assert quoted["sasl_jaas_config"].endswith('password="Endpoint=sb://ns1.servicebus.windows.net/;'
                                               'SharedAccessKey=a\\\\b\\"c";')


def test_connection_string_without_endpoint_is_refused() -> None:
    with pytest.raises(ValueError):
        kafka.connection_string_endpoint("SharedAccessKeyName=kc;SharedAccessKey=abc")
