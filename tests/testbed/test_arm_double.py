# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the ARM test double, driven by the real azure-identity and azure-mgmt-eventhub SDKs."""
from __future__ import annotations

import json
import time
import ssl
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.mgmt.eventhub import EventHubManagementClient
from azure.mgmt.eventhub.models import (
    AccessRights,
    AuthorizationRule,
    ConsumerGroup,
    EHNamespace,
    Eventhub,
    RegenerateAccessKeyParameters,
    RetentionDescription,
    Sku,
)

from arm_double.fixtures import ArmDouble, arm_double, start_arm_double  # noqa: F401  pylint: disable=unused-import

SCOPE = "https://management.azure.com/.default"
INFINITE_HOURS = 9223372036854775807


def credential(double: ArmDouble, secret: str | None = None) -> ClientSecretCredential:
    return ClientSecretCredential(double.tenant, double.client_id, secret or double.client_secret, authority=double.url,
                                  disable_instance_discovery=True, connection_verify=str(double.ca_file))


def client_for(double: ArmDouble, **kwargs: Any) -> EventHubManagementClient:
    return EventHubManagementClient(credential(double), double.subscription_id, base_url=double.url, credential_scopes=[SCOPE],
                                    connection_verify=str(double.ca_file), **kwargs)


@pytest.fixture(name="double")
def fixture_double(arm_double: ArmDouble) -> Iterator[ArmDouble]:  # pylint: disable=redefined-outer-name
    arm_double.reset()
    arm_double.clear_requests()
    yield arm_double


@pytest.fixture(name="client")
def fixture_client(double: ArmDouble) -> EventHubManagementClient:
    return client_for(double)


def create_namespace(client: EventHubManagementClient, double: ArmDouble, name: str, tier: str = "Standard", capacity: int = 1) -> EHNamespace:
    return client.namespaces.begin_create_or_update(
        double.resource_group, name, EHNamespace(location="westeurope", sku=Sku(name=tier, tier=tier, capacity=capacity))
    ).result()


def raw_call(double: ArmDouble, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any, dict]:
    """One ARM call without the SDK's retries, to see exactly what the double answers."""
    if token is None:
        token = credential(double).get_token(SCOPE).token
    data = None if body is None else json.dumps(body).encode("utf-8")
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(double.url + path, data=data, method=method, headers=headers)
    context = ssl.create_default_context(cafile=str(double.ca_file))
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None, dict(response.headers)
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None, dict(error.headers)


def namespace_path(double: ArmDouble, name: str) -> str:
    return f"/subscriptions/{double.subscription_id}/resourceGroups/{double.resource_group}/providers/Microsoft.EventHub/namespaces/{name}"


def test_token_flow_and_wrong_secret(double: ArmDouble) -> None:
    token = credential(double).get_token(SCOPE)
    assert token.token and token.expires_on > 0
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        credential(double, secret="not-the-secret").get_token(SCOPE)
    paths = [(entry["method"], entry["path"].split("/", 2)[-1], entry["status"]) for entry in double.requests()]
    assert ("POST", "oauth2/v2.0/token", 200) in paths and ("POST", "oauth2/v2.0/token", 401) in paths


def test_arm_calls_need_a_valid_bearer_token(double: ArmDouble) -> None:
    path = namespace_path(double, "whatever") + "?api-version=2026-01-01"
    status, body, headers = raw_call(double, "GET", path, token="")
    assert status == 401 and body["error"]["code"] == "AuthenticationFailed" and "WWW-Authenticate" in headers
    status, body = raw_call(double, "GET", path, token="forged")[:2]
    assert status == 401 and body["error"]["code"] == "InvalidAuthenticationToken"
    assert {"x-ms-request-id", "x-ms-correlation-request-id"} <= {key.lower() for key in headers}


def test_token_expiry_is_enforced(tmp_path: Path) -> None:
    short = start_arm_double(tmp_path, extra_args=("--token-lifetime", "0"))
    try:
        status, body = raw_call(short, "GET", namespace_path(short, "whatever") + "?api-version=2026-01-01")[:2]
        assert status == 401 and body["error"]["code"] == "ExpiredAuthenticationToken"
    finally:
        short.stop()


def test_namespace_create_is_a_long_running_operation_then_delete(double: ArmDouble, client: EventHubManagementClient) -> None:
    poller = client.namespaces.begin_create_or_update(
        double.resource_group, "sbx-lro-ns", EHNamespace(location="West Europe", sku=Sku(name="Standard", capacity=2), tags={"team": "a"})
    )
    assert [e["status"] for e in double.requests() if e["method"] == "PUT"] == [201]
    namespace = poller.result()
    assert (namespace.provisioning_state, namespace.status) == ("Succeeded", "Active")
    assert namespace.location == "westeurope" and namespace.sku.capacity == 2 and namespace.kafka_enabled is True
    assert namespace.service_bus_endpoint == "https://sbx-lro-ns.servicebus.windows.net:443/"
    assert double.namespace("sbx-lro-ns")["tags"] == {"team": "a"}
    assert [n.name for n in client.namespaces.list_by_resource_group(double.resource_group)] == ["sbx-lro-ns"]
    assert [n.name for n in client.namespaces.list()] == ["sbx-lro-ns"]
    assert [r.name for r in client.namespaces.list_authorization_rules(double.resource_group, "sbx-lro-ns")] == ["RootManageSharedAccessKey"]

    client.namespaces.begin_delete(double.resource_group, "sbx-lro-ns").result()
    with pytest.raises(ResourceNotFoundError):
        client.namespaces.get(double.resource_group, "sbx-lro-ns")
    assert double.namespace("sbx-lro-ns") is None
    polls = [e for e in double.requests() if "/operationresults/" in e["path"] or "/operationStatuses/" in e["path"]]
    assert polls, "the SDK polled the operation"


def test_namespace_in_transition_refuses_writes(double: ArmDouble, client: EventHubManagementClient) -> None:
    double.set_lro_delay(5)
    path = namespace_path(double, "sbx-busy-ns")
    status, body, headers = raw_call(double, "PUT", path + "?api-version=2026-01-01", {"location": "westeurope", "sku": {"name": "Standard"}})
    assert status == 201 and "Azure-AsyncOperation" in headers and "Location" in headers and headers["Retry-After"] == "5"
    assert (body["properties"]["provisioningState"], body["properties"]["status"]) == ("Created", "Activating")
    status, body, headers = raw_call(double, "PUT", path + "/eventhubs/early?api-version=2026-01-01", {"properties": {}})
    assert status == 429 and "transition" in body["error"]["message"] and "Retry-After" in headers
    assert client.namespaces.get(double.resource_group, "sbx-busy-ns").status == "Activating"
    assert double.namespace("sbx-busy-ns")["eventhubs"] == []


def test_compacted_hubs_and_retention_rules(double: ArmDouble, client: EventHubManagementClient) -> None:
    create_namespace(client, double, "sbx-hubs-ns")
    hub = client.event_hubs.create_or_update(
        double.resource_group, "sbx-hubs-ns", "connect-configs",
        Eventhub(partition_count=1, retention_description=RetentionDescription(cleanup_policy="Compact", tombstone_retention_time_in_hours=24)),
    )
    assert hub.partition_count == 1 and hub.partition_ids == ["0"]
    assert hub.retention_description.cleanup_policy == "Compact"
    assert hub.retention_description.retention_time_in_hours == INFINITE_HOURS
    assert hub.retention_description.tombstone_retention_time_in_hours == 24
    plain = client.event_hubs.create_or_update(double.resource_group, "sbx-hubs-ns", "orders", Eventhub(partition_count=3, message_retention_in_days=7))
    assert plain.retention_description.retention_time_in_hours == 168 and plain.partition_ids == ["0", "1", "2"]
    with pytest.raises(HttpResponseError, match="isn't valid for the Standard tier") as too_long:
        client.event_hubs.create_or_update(double.resource_group, "sbx-hubs-ns", "too-long", Eventhub(message_retention_in_days=8))
    assert too_long.value.status_code == 400
    stored = {h["name"]: h for h in double.namespace("sbx-hubs-ns")["eventhubs"]}
    assert set(stored) == {"connect-configs", "orders"}

    create_namespace(client, double, "sbx-basic-ns", tier="Basic")
    with pytest.raises(HttpResponseError, match="Log compaction feature isn't supported in the Basic tier"):
        client.event_hubs.create_or_update(
            double.resource_group, "sbx-basic-ns", "compacted", Eventhub(retention_description=RetentionDescription(cleanup_policy="Compact"))
        )


def test_eleventh_hub_on_standard_hits_the_quota(double: ArmDouble, client: EventHubManagementClient) -> None:
    create_namespace(client, double, "sbx-quota-ns")
    for index in range(10):
        client.event_hubs.create_or_update(double.resource_group, "sbx-quota-ns", f"topic-{index}", Eventhub(partition_count=1))
    with pytest.raises(HttpResponseError) as refused:
        client.event_hubs.create_or_update(double.resource_group, "sbx-quota-ns", "topic-10", Eventhub(partition_count=1))
    assert refused.value.status_code == 409 and refused.value.error.code == "Conflict"
    assert "SubCode=40300" in refused.value.error.message
    assert "The maximum number of resources of type EventHub has been reached or exceeded. Actual: 10, Max allowed: 10" in refused.value.error.message
    assert len(list(client.event_hubs.list_by_namespace(double.resource_group, "sbx-quota-ns"))) == 10


def test_partition_count_is_fixed_on_standard_and_grows_only_on_premium(double: ArmDouble, client: EventHubManagementClient) -> None:
    create_namespace(client, double, "sbx-part-ns")
    client.event_hubs.create_or_update(double.resource_group, "sbx-part-ns", "fixed", Eventhub(partition_count=2))
    with pytest.raises(HttpResponseError, match="PartitionCount can't be changed for an event hub") as refused:
        client.event_hubs.create_or_update(double.resource_group, "sbx-part-ns", "fixed", Eventhub(partition_count=4))
    assert refused.value.status_code == 400 and "SubCode=40000" in refused.value.error.message
    assert client.event_hubs.get(double.resource_group, "sbx-part-ns", "fixed").partition_count == 2

    create_namespace(client, double, "sbx-prem-ns", tier="Premium", capacity=1)
    client.event_hubs.create_or_update(double.resource_group, "sbx-prem-ns", "growing", Eventhub(partition_count=2))
    assert client.event_hubs.create_or_update(double.resource_group, "sbx-prem-ns", "growing", Eventhub(partition_count=8)).partition_count == 8
    with pytest.raises(HttpResponseError, match="can't be decreased"):
        client.event_hubs.create_or_update(double.resource_group, "sbx-prem-ns", "growing", Eventhub(partition_count=4))


def test_namespace_validation(double: ArmDouble, client: EventHubManagementClient) -> None:
    with pytest.raises(HttpResponseError, match="Can't set Auto-Inflate in basic SKU"):
        client.namespaces.begin_create_or_update(
            double.resource_group, "sbx-inflate-ns",
            EHNamespace(location="westeurope", sku=Sku(name="Basic"), is_auto_inflate_enabled=True, maximum_throughput_units=4),
        )
    with pytest.raises(HttpResponseError, match="processing units must be 1, 2, 4, 8, 16"):
        client.namespaces.begin_create_or_update(double.resource_group, "sbx-prem3-ns", EHNamespace(location="westeurope", sku=Sku(name="Premium", capacity=3)))
    basic = create_namespace(client, double, "sbx-nokafka-ns", tier="Basic")
    assert basic.kafka_enabled is False
    assert client.namespaces.check_name_availability({"name": "sbx-nokafka-ns"}).reason == "NameInUse"
    assert client.namespaces.check_name_availability({"name": "str"}).message == "The specified service namespace is invalid."
    assert client.namespaces.check_name_availability({"name": "sbx-free-ns"}).name_available is True
    status, body = raw_call(double, "GET", namespace_path(double, "sbx-nokafka-ns") + "?api-version=2099-01-01")[:2]
    assert status == 400 and body["error"]["code"] == "InvalidApiVersionParameter"
    status, body = raw_call(double, "GET", f"/subscriptions/{'0' * 8}-0000-0000-0000-{'0' * 12}/resourcegroups/x?api-version=2022-09-01")[:2]
    assert status == 404 and body["error"]["code"] == "SubscriptionNotFound"
    missing_group = f"/subscriptions/{double.subscription_id}/resourcegroups/nope/providers/Microsoft.EventHub/namespaces"
    status, body = raw_call(double, "GET", missing_group + "?api-version=2026-01-01")[:2]
    assert status == 404 and body["error"]["code"] == "ResourceGroupNotFound"


def test_keys_feed_the_kafka_credentials_file(double: ArmDouble, client: EventHubManagementClient) -> None:
    create_namespace(client, double, "sbx-keys-ns")
    client.namespaces.create_or_update_authorization_rule(
        double.resource_group, "sbx-keys-ns", "connect", AuthorizationRule(rights=[AccessRights.LISTEN, AccessRights.SEND])
    )
    keys = client.namespaces.list_keys(double.resource_group, "sbx-keys-ns", "connect")
    assert keys.key_name == "connect" and len(keys.primary_key) == 44 and keys.primary_key != keys.secondary_key
    assert keys.primary_connection_string == (
        f"Endpoint=sb://sbx-keys-ns.servicebus.windows.net/;SharedAccessKeyName=connect;SharedAccessKey={keys.primary_key}"
    )
    passwords = double.kafka_passwords()
    assert keys.primary_connection_string in passwords and keys.secondary_connection_string in passwords
    assert len(passwords) == 4, "RootManageSharedAccessKey and connect, primary and secondary"

    client.event_hubs.create_or_update(double.resource_group, "sbx-keys-ns", "orders", Eventhub(partition_count=1))
    client.event_hubs.create_or_update_authorization_rule(double.resource_group, "sbx-keys-ns", "orders", "reader", AuthorizationRule(rights=["Listen"]))
    hub_keys = client.event_hubs.list_keys(double.resource_group, "sbx-keys-ns", "orders", "reader")
    assert hub_keys.primary_connection_string.endswith(";EntityPath=orders")
    assert hub_keys.primary_connection_string not in double.kafka_passwords(), "hub-level strings do not work for Kafka"

    regenerated = client.namespaces.regenerate_keys(double.resource_group, "sbx-keys-ns", "connect", RegenerateAccessKeyParameters(key_type="PrimaryKey"))
    assert regenerated.primary_key != keys.primary_key and regenerated.secondary_key == keys.secondary_key
    passwords = double.kafka_passwords()
    assert keys.primary_connection_string not in passwords and regenerated.primary_connection_string in passwords
    assert "<redacted>" not in json.dumps(double.state()) and keys.secondary_key not in json.dumps(double.state())

    client.namespaces.delete_authorization_rule(double.resource_group, "sbx-keys-ns", "connect")
    assert not [p for p in double.kafka_passwords() if "SharedAccessKeyName=connect;" in p]
    client.namespaces.begin_delete(double.resource_group, "sbx-keys-ns").result()
    assert double.kafka_passwords() == []


def test_authorization_rule_rules(double: ArmDouble, client: EventHubManagementClient) -> None:
    create_namespace(client, double, "sbx-rules-ns")
    with pytest.raises(HttpResponseError, match="Manage access right requires Listen and Send"):
        client.namespaces.create_or_update_authorization_rule(double.resource_group, "sbx-rules-ns", "admin", AuthorizationRule(rights=["Manage"]))
    for index in range(11):
        client.namespaces.create_or_update_authorization_rule(double.resource_group, "sbx-rules-ns", f"rule{index}", AuthorizationRule(rights=["Send"]))
    with pytest.raises(HttpResponseError, match="Max allowed: 12") as refused:
        client.namespaces.create_or_update_authorization_rule(double.resource_group, "sbx-rules-ns", "rule11", AuthorizationRule(rights=["Send"]))
    assert refused.value.status_code == 409


def test_consumer_groups(double: ArmDouble, client: EventHubManagementClient) -> None:
    create_namespace(client, double, "sbx-cg-ns")
    client.event_hubs.create_or_update(double.resource_group, "sbx-cg-ns", "orders", Eventhub(partition_count=1))
    assert [g.name for g in client.consumer_groups.list_by_event_hub(double.resource_group, "sbx-cg-ns", "orders")] == ["$Default"]
    client.consumer_groups.create_or_update(double.resource_group, "sbx-cg-ns", "orders", "connect", ConsumerGroup(user_metadata="sink"))
    assert client.consumer_groups.get(double.resource_group, "sbx-cg-ns", "orders", "connect").user_metadata == "sink"
    client.consumer_groups.delete(double.resource_group, "sbx-cg-ns", "orders", "connect")
    with pytest.raises(ResourceNotFoundError):
        client.consumer_groups.get(double.resource_group, "sbx-cg-ns", "orders", "connect")

    create_namespace(client, double, "sbx-cgbasic-ns", tier="Basic")
    client.event_hubs.create_or_update(double.resource_group, "sbx-cgbasic-ns", "orders", Eventhub(partition_count=1))
    with pytest.raises(HttpResponseError, match="is using 'Basic' tier"):
        client.consumer_groups.create_or_update(double.resource_group, "sbx-cgbasic-ns", "orders", "connect", ConsumerGroup())


def test_injected_429_is_retried_by_the_sdk(double: ArmDouble, client: EventHubManagementClient) -> None:
    create_namespace(client, double, "sbx-retry-ns")
    double.clear_requests()
    double.inject(429, count=2, method="PUT", path_regex="/eventhubs/", retry_after=0.05)
    hub = client.event_hubs.create_or_update(double.resource_group, "sbx-retry-ns", "orders", Eventhub(partition_count=1))
    assert hub.name == "orders"
    puts = [(e["status"], e["injected"]) for e in double.requests() if e["method"] == "PUT"]
    assert puts == [(429, True), (429, True), (200, False)]
    assert [e["path"].rsplit("/", 1)[-1] for e in double.writes()] == ["orders"] * 3


def test_injected_5xx_without_retry_surfaces(double: ArmDouble) -> None:
    client = client_for(double, retry_total=0)
    double.inject(503, count=1)
    with pytest.raises(HttpResponseError) as failed:
        client.namespaces.get(double.resource_group, "anything-ns")
    assert failed.value.status_code == 503


def test_failed_lro(double: ArmDouble, client: EventHubManagementClient) -> None:
    double.fail_next_lro()
    with pytest.raises(HttpResponseError):
        create_namespace(client, double, "sbx-fail-ns")
    assert double.namespace("sbx-fail-ns")["properties"]["provisioningState"] == "Failed"


def test_latency_is_added(double: ArmDouble, client: EventHubManagementClient) -> None:
    double.set_latency(150)
    list(client.namespaces.list())
    assert double.requests()[-1]["duration_ms"] >= 150


def test_cloud_metadata_leads_the_sdk_to_the_double(double: ArmDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a module does with AZURE_CLOUD_ENVIRONMENT=<metadata URL> and REQUESTS_CA_BUNDLE, without connection_verify."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(double.ca_file))
    context = ssl.create_default_context(cafile=str(double.ca_file))
    with urllib.request.urlopen(double.env["AZURE_CLOUD_ENVIRONMENT"], context=context) as response:
        cloud = json.load(response)[0]
    assert cloud["name"] == "TestbedCloud"
    with urllib.request.urlopen(f"{double.url}/metadata/endpoints?api-version=2015-01-01", context=context) as response:
        legacy = json.load(response)
    assert legacy["authentication"]["loginEndpoint"] == cloud["authentication"]["loginEndpoint"]
    cred = ClientSecretCredential(double.tenant, double.client_id, double.client_secret,
                                  authority=cloud["authentication"]["loginEndpoint"], disable_instance_discovery=True)
    client = EventHubManagementClient(cred, double.subscription_id, base_url=cloud["resourceManager"],
                                      credential_scopes=[cloud["authentication"]["audiences"][0] + ".default"])
    assert list(client.namespaces.list()) == []


def test_state_survives_a_restart(tmp_path: Path) -> None:
    first = start_arm_double(tmp_path)
    try:
        create_namespace(client_for(first), first, "sbx-persist-ns")
    finally:
        first.stop()
    second = start_arm_double(tmp_path)
    try:
        assert client_for(second).namespaces.get(second.resource_group, "sbx-persist-ns").status == "Active"
        assert len(second.kafka_passwords()) == 2
    finally:
        second.stop()


def test_azure_habits_the_modules_must_cope_with(double: ArmDouble, client: EventHubManagementClient) -> None:
    """Update PUT placeholders, zone redundancy forced by the region, whole-string names, held states, old answers."""
    namespace = create_namespace(client, double, "sbx-habits-ns")
    assert namespace.zone_redundant is True  # westeurope has availability zones
    client.event_hubs.create_or_update(double.resource_group, "sbx-habits-ns", "orders", Eventhub(partition_count=2))
    updated = client.event_hubs.create_or_update(double.resource_group, "sbx-habits-ns", "orders",
                                                 Eventhub(partition_count=2, message_retention_in_days=2))
    assert updated.partition_ids == [] and updated.created_at.year == 1
    assert client.event_hubs.get(double.resource_group, "sbx-habits-ns", "orders").partition_ids == ["0", "1"]
    with pytest.raises(HttpResponseError, match="is invalid"):
        client.event_hubs.create_or_update(double.resource_group, "sbx-habits-ns", "orders\n", Eventhub(partition_count=1))
    double.omit_fields("retentionDescription", "minimumTlsVersion")
    old = client.event_hubs.get(double.resource_group, "sbx-habits-ns", "orders")
    assert old.retention_description is None and old.message_retention_in_days == 2
    assert client.namespaces.get(double.resource_group, "sbx-habits-ns").minimum_tls_version is None
    double.omit_fields()
    double.hold_namespace("sbx-habits-ns", "Deleting", "Removing", seconds=0.5, outcome="deleted")
    assert client.namespaces.get(double.resource_group, "sbx-habits-ns").provisioning_state == "Deleting"
    with pytest.raises(ResourceNotFoundError):
        for _attempt in range(50):
            client.namespaces.get(double.resource_group, "sbx-habits-ns")
            time.sleep(0.1)


# Microsoft Entra ID and Microsoft.Authorization --------------------------------------------------------------------
EVENTHUB_ROLES = {"Azure Event Hubs Data Owner": "f526a384-b230-433a-b45c-95f59c4a2dec",
                  "Azure Event Hubs Data Sender": "2b629674-e913-4c01-ae53-ef4638d8f975",
                  "Azure Event Hubs Data Receiver": "a638d3c7-ab3a-418d-83e6-5f17a39d4fde"}


def connect_credential(double: ArmDouble, secret: str | None = None) -> ClientSecretCredential:
    return ClientSecretCredential(double.tenant, double.connect_client_id, secret or double.connect_client_secret,
                                  authority=double.url, disable_instance_discovery=True, connection_verify=str(double.ca_file))


def get_json(double: ArmDouble, path: str) -> Any:
    context = ssl.create_default_context(cafile=str(double.ca_file))
    with urllib.request.urlopen(double.url + path, context=context, timeout=10) as response:
        return json.load(response)


def verified_claims(double: ArmDouble, token: str, audience: str) -> dict:
    """What a resource server does: keys from the jwks_uri of the tenant's OpenID metadata, RS256, issuer, audience."""
    import jwt  # PyJWT, a dependency of msal  # pylint: disable=import-outside-toplevel

    metadata = get_json(double, f"/{double.tenant}/v2.0/.well-known/openid-configuration")
    jwks = get_json(double, metadata["jwks_uri"].removeprefix(double.url))
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid))
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=audience, issuer=metadata["issuer"])


def test_tokens_are_signed_jwts_for_the_scopes_resource(double: ArmDouble) -> None:
    arm = credential(double).get_token(SCOPE)
    claims = verified_claims(double, arm.token, "https://management.azure.com")
    assert claims["iss"] == double.issuer == f"{double.url}/{double.tenant}/v2.0"
    assert (claims["oid"], claims["sub"], claims["appid"], claims["tid"]) == (
        double.client_object_id, double.client_object_id, double.client_id, double.tenant)
    assert claims["exp"] - claims["iat"] == 3600 and claims["nbf"] <= time.time()
    kafka = connect_credential(double).get_token("https://sbx-entra-ns.servicebus.windows.net/.default")
    claims = verified_claims(double, kafka.token, "https://sbx-entra-ns.servicebus.windows.net")
    assert (claims["oid"], claims["appid"]) == (double.connect_object_id, double.connect_client_id)
    with pytest.raises(Exception, match="Signature verification failed"):
        verified_claims(double, kafka.token[:-6] + ("AAAAAA" if not kafka.token.endswith("AAAAAA") else "BBBBBB"),
                        "https://sbx-entra-ns.servicebus.windows.net")


def test_token_audience_lifetime_and_scope_errors(double: ArmDouble) -> None:
    kafka_token = connect_credential(double).get_token("https://sbx-entra-ns.servicebus.windows.net/.default").token
    status, body = raw_call(double, "GET", namespace_path(double, "x") + "?api-version=2026-01-01", token=kafka_token)[:2]
    assert status == 401 and body["error"]["code"] == "InvalidAuthenticationTokenAudience"
    expired = double.mint_token("https://management.azure.com", app="operator", lifetime=60, offset=120)
    status, body = raw_call(double, "GET", namespace_path(double, "x") + "?api-version=2026-01-01", token=expired)[:2]
    assert status == 401 and body["error"]["code"] == "ExpiredAuthenticationToken"
    with pytest.raises(ClientAuthenticationError, match="AADSTS500011"):
        connect_credential(double).get_token("https://storage.azure.com/.default")
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        connect_credential(double, secret="not-it").get_token("https://sbx-entra-ns.servicebus.windows.net/.default")
    double.set_token_lifetime(90)
    token = connect_credential(double).get_token("https://sbx-other-ns.servicebus.windows.net/.default")
    assert 80 <= token.expires_on - time.time() <= 91
    issued = double.tokens_issued()
    assert issued[-1]["app"] == "connect" and issued[-1]["exp"] - issued[-1]["iat"] == 90
    assert "access_token" not in issued[-1]


def role_client(double: ArmDouble) -> Any:
    from azure.mgmt.authorization import AuthorizationManagementClient  # pylint: disable=import-outside-toplevel

    return AuthorizationManagementClient(credential(double), double.subscription_id, base_url=double.url, credential_scopes=[SCOPE],
                                         connection_verify=str(double.ca_file))


def test_role_definitions_and_assignments_through_the_sdk(double: ArmDouble, client: EventHubManagementClient) -> None:
    from azure.mgmt.authorization.models import RoleAssignmentCreateParameters  # pylint: disable=import-outside-toplevel

    create_namespace(client, double, "sbx-roles-ns")
    scope = namespace_path(double, "sbx-roles-ns")
    roles = role_client(double)
    for name, role_id in EVENTHUB_ROLES.items():
        definition = roles.role_definitions.get(scope, role_id)
        assert (definition.role_name, definition.role_type, definition.name) == (name, "BuiltInRole", role_id)
    assert [d.name for d in roles.role_definitions.list(scope, filter="roleName eq 'Azure Event Hubs Data Sender'")] == [
        EVENTHUB_ROLES["Azure Event Hubs Data Sender"]]
    sender = f"/subscriptions/{double.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{EVENTHUB_ROLES['Azure Event Hubs Data Sender']}"
    parameters = RoleAssignmentCreateParameters(role_definition_id=sender, principal_id=double.connect_object_id,
                                                principal_type="ServicePrincipal")
    name = "0b7c1a2e-6a43-4a59-9d0e-2f1f3c6b8a11"
    created = roles.role_assignments.create(scope, name, parameters)
    assert (created.principal_id, created.role_definition_id, created.scope) == (double.connect_object_id, sender, scope)
    assert roles.role_assignments.get(scope, name).principal_id == double.connect_object_id
    listed = list(roles.role_assignments.list_for_scope(scope, filter=f"principalId eq '{double.connect_object_id}'"))
    assert [a.name for a in listed] == [name]
    assert list(roles.role_assignments.list_for_scope(scope, filter=f"principalId eq '{double.client_object_id}'")) == []
    with pytest.raises(HttpResponseError, match="RoleAssignmentExists"):
        roles.role_assignments.create(scope, "5d0d5b8e-3c1f-4b0e-8f7a-6c9e2d1b4a22", parameters)
    unknown = RoleAssignmentCreateParameters(role_definition_id=sender, principal_id="11111111-2222-3333-4444-555555555555")
    with pytest.raises(HttpResponseError, match="PrincipalNotFound"):
        roles.role_assignments.create(scope, "6e1e6c9f-4d2a-4c1f-9a8b-7d0f3e2c5b33", unknown)

    double.allow_role_assignment_writes(False)
    with pytest.raises(HttpResponseError, match="AuthorizationFailed") as refused:
        roles.role_assignments.delete(scope, name)
    assert refused.value.status_code == 403 and "roleAssignments/delete" in str(refused.value)
    assert [a.name for a in roles.role_assignments.list_for_scope(scope)] == [name]
    double.allow_role_assignment_writes(True)
    assert roles.role_assignments.delete(scope, name).name == name
    assert roles.role_assignments.delete(scope, name) is None
    assert double.state()["roleAssignments"] == []


def test_role_assignment_at_a_missing_namespace_is_not_found(double: ArmDouble) -> None:
    path = namespace_path(double, "sbx-missing-ns") + "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"
    status, body = raw_call(double, "GET", path)[:2]
    assert status == 404 and body["error"]["code"] == "ResourceNotFound"
    status, body = raw_call(double, "GET", path.replace("2022-04-01", "2026-01-01"))[:2]
    assert status == 400 and body["error"]["code"] == "InvalidApiVersionParameter"


def test_local_auth_off_takes_the_namespaces_connection_strings_from_the_broker(double: ArmDouble,
                                                                                client: EventHubManagementClient) -> None:
    create_namespace(client, double, "sbx-local-ns")
    assert any("sbx-local-ns" in line for line in double.kafka_passwords())
    client.namespaces.begin_create_or_update(
        double.resource_group, "sbx-local-ns",
        EHNamespace(location="westeurope", sku=Sku(name="Standard", tier="Standard"), disable_local_auth=True)).result()
    assert not any("sbx-local-ns" in line for line in double.kafka_passwords())
    assert double.namespace("sbx-local-ns")["properties"]["disableLocalAuth"] is True


def test_client_secret_basic_as_kafkas_oauth_client_sends_it(double: ArmDouble) -> None:
    import base64  # pylint: disable=import-outside-toplevel

    pair = base64.b64encode(f"{double.connect_client_id}:{double.connect_client_secret}".encode()).decode()
    request = urllib.request.Request(f"{double.url}/{double.tenant}/oauth2/v2.0/token", method="POST",
                                     data=b"grant_type=client_credentials&scope=https%3A%2F%2Fsbx-basic-ns.servicebus.windows.net%2F.default",
                                     headers={"Authorization": f"Basic {pair}", "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=str(double.ca_file)), timeout=10) as answer:
        token = json.load(answer)["access_token"]
    assert verified_claims(double, token, "https://sbx-basic-ns.servicebus.windows.net")["oid"] == double.connect_object_id


def test_deleting_a_namespace_deletes_its_role_assignments(double: ArmDouble, client: EventHubManagementClient) -> None:
    from azure.mgmt.authorization.models import RoleAssignmentCreateParameters  # pylint: disable=import-outside-toplevel

    create_namespace(client, double, "sbx-gone-ns")
    receiver = f"/subscriptions/{double.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{EVENTHUB_ROLES['Azure Event Hubs Data Receiver']}"
    role_client(double).role_assignments.create(namespace_path(double, "sbx-gone-ns"), "7a2c4e6f-8b0d-4f1a-9c3e-5b7d9f1a3c55",
                                                RoleAssignmentCreateParameters(role_definition_id=receiver,
                                                                               principal_id=double.connect_object_id))
    assert len(double.state()["roleAssignments"]) == 1
    client.namespaces.begin_delete(double.resource_group, "sbx-gone-ns").result()
    assert double.state()["roleAssignments"] == []
