# SPDX-License-Identifier: GPL-3.0-or-later
"""Cloud metadata parsing, credential choice, retry policy and error translation of the Azure helper."""

from __future__ import annotations

import os
import sys

import pytest

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from azure.core.exceptions import ClientAuthenticationError, HttpResponseError  # noqa: E402
from azure.identity import ClientSecretCredential, DefaultAzureCredential  # noqa: E402

from ansible_collections.streamops.eventhub_connect.plugins.module_utils import _azure  # noqa: E402
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput  # noqa: E402

LIST_FORMAT = [
    {"name": "AzureCloud", "resourceManager": "https://management.azure.com/",
     "authentication": {"loginEndpoint": "https://login.microsoftonline.com/",
                        "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"]}},
    {"name": "AzureChinaCloud", "resourceManager": "https://management.chinacloudapi.cn/",
     "authentication": {"loginEndpoint": "https://login.chinacloudapi.cn/",
                        "audiences": ["https://management.core.chinacloudapi.cn/"]}},
]
LEGACY_FORMAT = {"galleryEndpoint": "https://portal.local.azurestack.external:30015/",
                 "graphEndpoint": "https://graph.windows.net/",
                 "authentication": {"loginEndpoint": "https://login.microsoftonline.com/",
                                    "audiences": ["https://management.contoso.onmicrosoft.com/abc"]}}


def test_list_format_picks_the_cloud_served_by_the_metadata_host() -> None:
    cloud = _azure.parse_cloud_metadata(LIST_FORMAT, "https://management.chinacloudapi.cn/metadata/endpoints?api-version=2022-09-01")
    assert cloud.name == "AzureChinaCloud"
    assert cloud.resource_manager == "https://management.chinacloudapi.cn"
    assert cloud.authority == "https://login.chinacloudapi.cn"
    assert cloud.credential_scope == "https://management.core.chinacloudapi.cn/.default"
    assert cloud.custom


def test_list_format_from_an_unknown_host_uses_the_first_entry() -> None:
    cloud = _azure.parse_cloud_metadata(LIST_FORMAT[:1], "https://127.0.0.1:17443/metadata/endpoints?api-version=2022-09-01")
    assert cloud.resource_manager == "https://management.azure.com"


def test_legacy_format_uses_the_metadata_host_as_resource_manager() -> None:
    cloud = _azure.parse_cloud_metadata(LEGACY_FORMAT, "https://management.local.azurestack.external/metadata/endpoints?api-version=2015-01-01")
    assert cloud.resource_manager == "https://management.local.azurestack.external"
    assert cloud.credential_scope == "https://management.contoso.onmicrosoft.com/abc/.default"


@pytest.mark.parametrize("document", [[], "text", {"authentication": {}}])
def test_bad_metadata_is_a_clear_error(document: object) -> None:
    with pytest.raises(_azure.AzureApiError) as caught:
        _azure.parse_cloud_metadata(document, "https://x/metadata")
    assert caught.value.code == "InvalidCloudMetadata"


def test_named_clouds_and_bad_values() -> None:
    assert _azure.resolve_cloud("AzureUSGovernment").resource_manager == "https://management.usgovcloudapi.net"
    assert _azure.resolve_cloud("AzureCloud").credential_scope == "https://management.azure.com/.default"
    with pytest.raises(InvalidInput):
        _azure.resolve_cloud("http://insecure/metadata")


def auth(**values: object) -> dict:
    base = {key: None for key in _azure.AZURE_AUTH_ARGSPEC}
    base.update(auth_source="auto", cloud_environment="AzureCloud")
    base.update(values)
    return base


def test_service_principal_when_all_three_are_set_else_default_chain() -> None:
    cloud = _azure.KNOWN_CLOUDS["AzureCloud"]
    principal = _azure.build_credential(auth(client_id="c", secret="s", tenant="t"), cloud)
    assert isinstance(principal, ClientSecretCredential)
    assert isinstance(_azure.build_credential(auth(client_id="c"), cloud), DefaultAzureCredential)
    with pytest.raises(InvalidInput):
        _azure.build_credential(auth(auth_source="env", client_id="c"), cloud)


def test_credential_file_fills_unset_options(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    path = os.path.join(str(tmp_path), "credentials")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("[default]\nsubscription_id=sub\nclient_id=c\nsecret=s\ntenant=t\n[other]\nsubscription_id=o\n")
    monkeypatch.setenv("AZURE_CREDENTIAL_FILE", path)
    effective = _azure.effective_auth(auth(auth_source="credential_file", subscription_id="given"))
    assert (effective["subscription_id"], effective["client_id"], effective["tenant"]) == ("given", "c", "t")
    with pytest.raises(InvalidInput):
        _azure.effective_auth(auth(auth_source="credential_file", profile="missing"))


def test_argspec_env_fallbacks_include_the_names_awx_injects() -> None:
    names = {key: spec["fallback"][1] for key, spec in _azure.AZURE_AUTH_ARGSPEC.items() if "fallback" in spec}
    assert names["secret"] == ["AZURE_SECRET", "AZURE_CLIENT_SECRET"]
    assert names["tenant"] == ["AZURE_TENANT", "AZURE_TENANT_ID"]
    assert names["cloud_environment"] == ["AZURE_CLOUD_ENVIRONMENT"]
    assert _azure.AZURE_AUTH_ARGSPEC["secret"]["no_log"] and _azure.AZURE_AUTH_ARGSPEC["password"]["no_log"]


class FakeResponse:
    def __init__(self, status: int) -> None:
        self.status_code = status


class FakeRequest:
    def __init__(self, method: str) -> None:
        self.method = method


def test_retry_policy_retries_throttled_posts_but_not_failed_ones() -> None:
    policy = _azure.ThrottleRetryPolicy(retry_total=3)
    settings = policy.configure_retries({})
    assert policy._is_method_retryable(settings, FakeRequest("POST"), FakeResponse(429))
    assert policy._is_method_retryable(settings, FakeRequest("POST"), FakeResponse(503))
    assert not policy._is_method_retryable(settings, FakeRequest("POST"), FakeResponse(400))
    assert policy._is_method_retryable(settings, FakeRequest("GET"), FakeResponse(500))


def test_errors_carry_azure_code_and_message() -> None:
    class Response:
        status_code = 409
        reason = "Conflict"
        headers = {"content-type": "application/json"}

        def text(self) -> str:
            return '{"error": {"code": "Conflict", "message": "The maximum number of resources of type EventHub has been reached"}}'

    error = _azure.error_from_sdk(HttpResponseError(response=Response()))
    assert (error.code, error.status) == ("Conflict", 409)
    assert str(error) == "Conflict: The maximum number of resources of type EventHub has been reached"
    auth_error = _azure.error_from_sdk(ClientAuthenticationError("AADSTS7000215: Invalid client secret provided."))
    assert auth_error.code == "AuthenticationFailed"
    assert "Invalid client secret" in str(auth_error)


@pytest.mark.parametrize("message", [
    "(Conflict) SubCode=40900. Conflict. Entity is being updated.\nCode: Conflict\nMessage: SubCode=40900. Conflict.",
    "Conflict: SubCode=40900. Conflict. Entity is being updated.",
    "SubCode=40900. Conflict. Entity is being updated.",
])
def test_azure_code_appears_once_whatever_shape_azure_core_gives_the_message(message: str) -> None:
    text = str(_azure.AzureApiError(_azure.without_code(message, "Conflict"), code="Conflict"))
    assert text == "Conflict: SubCode=40900. Conflict. Entity is being updated."


def test_discovery_documents_are_cached_per_user_and_expire(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_azure.DISCOVERY_CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(_azure, "_discovered", {})
    url = "https://login.example/tenant/v2.0/.well-known/openid-configuration"
    assert _azure.is_discovery_url(url) and _azure.is_discovery_url("https://arm.example/metadata/endpoints/")
    assert not _azure.is_discovery_url("https://login.example/tenant/oauth2/v2.0/token")
    assert _azure.cached_discovery(url) is None
    _azure.remember_discovery(url, b'{"token_endpoint": "x"}')
    monkeypatch.setattr(_azure, "_discovered", {})  # a later process: only the file is left
    assert _azure.cached_discovery(url) == b'{"token_endpoint": "x"}'
    monkeypatch.setattr(_azure, "_discovered", {})
    assert _azure.cached_discovery(url, clock=lambda: 10 ** 12) is None  # a day old: fetched again
    path = _azure._cache_file(url)
    os.chmod(path, 0o666)
    assert _azure.cached_discovery(url) is None  # writable by others: not trusted
    monkeypatch.setenv(_azure.DISCOVERY_CACHE_ENV, "off")
    monkeypatch.setattr(_azure, "_discovered", {})
    _azure.remember_discovery(url, b"{}")
    monkeypatch.setattr(_azure, "_discovered", {})
    assert _azure.cached_discovery(url) is None
