# SPDX-License-Identifier: GPL-3.0-or-later
"""Microsoft Entra ID logins on the testbed's broker, as an Event Hubs namespace takes them: SASL OAUTHBEARER
with tokens of the ARM test double, validated by Kafka's own OAuthBearerValidatorCallbackHandler (signature,
issuer, expiry), a namespace audience, rights from role assignments; SAS refused once local auth is off.

Real confluent-kafka clients against the real broker; needs the testbed's double and broker (skipped without).
"""
from __future__ import annotations

import time
import uuid
from typing import Any, Callable

import pytest

pytest.importorskip("confluent_kafka")
from azure.identity import ClientSecretCredential  # noqa: E402
from azure.mgmt.authorization import AuthorizationManagementClient  # noqa: E402
from azure.mgmt.authorization.models import RoleAssignmentCreateParameters  # noqa: E402
from azure.mgmt.eventhub.models import EHNamespace, Sku  # noqa: E402
from confluent_kafka import KafkaError  # noqa: E402

from arm_double.fixtures import ArmDouble  # noqa: E402
from test_namespace_broker import (  # noqa: E402,F401  pylint: disable=unused-import
    QUIET, SCOPE, SYNC_DEADLINE, Namespace, arm, authentication_refused, consume_one, double, kafka_env, namespace,
    namespace_factory, once_authorized, produce)

SENDER = "2b629674-e913-4c01-ae53-ef4638d8f975"
RECEIVER = "a638d3c7-ab3a-418d-83e6-5f17a39d4fde"


def assign(double: ArmDouble, namespace: Namespace, role_id: str) -> None:  # pylint: disable=redefined-outer-name
    credential = ClientSecretCredential(double.tenant, double.client_id, double.client_secret, authority=double.url,
                                        disable_instance_discovery=True, connection_verify=str(double.ca_file))
    roles = AuthorizationManagementClient(credential, double.subscription_id, base_url=double.url, credential_scopes=[SCOPE],
                                          connection_verify=str(double.ca_file))
    scope = (f"/subscriptions/{double.subscription_id}/resourceGroups/{namespace.group}"
             f"/providers/Microsoft.EventHub/namespaces/{namespace.name}")
    roles.role_assignments.create(scope, str(uuid.uuid4()), RoleAssignmentCreateParameters(
        role_definition_id=f"/subscriptions/{double.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role_id}",
        principal_id=double.connect_object_id, principal_type="ServicePrincipal"))


def connect_token(double: ArmDouble, audience: str) -> str:  # pylint: disable=redefined-outer-name
    credential = ClientSecretCredential(double.tenant, double.connect_client_id, double.connect_client_secret,
                                        authority=double.url, disable_instance_discovery=True, connection_verify=str(double.ca_file))
    return credential.get_token(f"{audience}/.default").token


def oauth_config(namespace: Namespace, token: Callable[[], str], **extra: Any) -> dict[str, Any]:  # pylint: disable=redefined-outer-name
    def refresh(_config: str) -> tuple[str, float]:
        return token(), time.time() + 60
    return {"bootstrap.servers": namespace.bootstrap, "security.protocol": "SASL_SSL",
            "sasl.mechanism": "OAUTHBEARER", "oauth_cb": refresh, "ssl.ca.location": namespace.kafka_env["KAFKA_CA_FILE"],
            "logger": QUIET, **extra}


def audience(namespace: Namespace) -> str:  # pylint: disable=redefined-outer-name
    return f"https://{namespace.name}.servicebus.windows.net"


def test_a_token_for_the_namespace_sends_and_receives_with_its_role_assignments(
        namespace: Namespace, double: ArmDouble) -> None:  # pylint: disable=redefined-outer-name
    namespace.hub("orders")
    config = oauth_config(namespace, lambda: connect_token(double, audience(namespace)))
    assert not authentication_refused(config), "a valid Entra ID token logs in"
    denied = produce(config, "orders")
    assert denied is not None and denied.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, "no role, no rights"
    assign(double, namespace, SENDER)
    assign(double, namespace, RECEIVER)
    assert once_authorized(lambda: produce(config, "orders")) is None
    message = consume_one(config, "orders", "entra-group")
    assert message is not None and not isinstance(message, KafkaError) and message.value() == b"event"


def test_wrong_audience_expired_and_foreign_tokens_are_refused(namespace: Namespace, double: ArmDouble) -> None:  # pylint: disable=redefined-outer-name
    other = "https://another-namespace.servicebus.windows.net"
    cases = {
        "management audience": double.mint_token("https://management.azure.com"),
        "expired": double.mint_token(audience(namespace), lifetime=60, offset=600),
        "another issuer": double.mint_token(audience(namespace), iss="https://login.example.invalid/tenant/v2.0"),
    }
    for what, token in cases.items():
        assert authentication_refused(oauth_config(namespace, lambda t=token: t), timeout=10), what
    forged = connect_token(double, audience(namespace))
    forged = forged[: forged.rindex(".") + 1] + "A" * len(forged[forged.rindex(".") + 1:])
    assert authentication_refused(oauth_config(namespace, lambda: forged), timeout=10), "bad signature"
    # Valid, but for another namespace: this namespace's endpoint refuses it at login, as Event Hubs does.
    assert authentication_refused(oauth_config(namespace, lambda: double.mint_token(other)), timeout=10), "another audience"


def test_local_auth_off_refuses_the_namespaces_connection_strings(
        namespace_factory: Callable[..., Namespace]) -> None:  # pylint: disable=redefined-outer-name
    namespace = namespace_factory()
    connection_string = namespace.rule("RootManageSharedAccessKey")
    assert not authentication_refused(namespace.config(connection_string))
    namespace.arm.namespaces.begin_create_or_update(namespace.group, namespace.name, EHNamespace(
        location="westeurope", sku=Sku(name="Standard", tier="Standard"), disable_local_auth=True)).result()
    assert authentication_refused(namespace.config(connection_string), timeout=10)
