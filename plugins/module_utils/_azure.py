# SPDX-License-Identifier: GPL-3.0-or-later
"""Azure authentication, the Event Hubs management client, retries and error translation, written once."""

from __future__ import annotations

import configparser
import hashlib
import io
import json
import os
import stat
import tempfile
import time
import traceback
from typing import Any, Callable, Dict, List, NamedTuple, Optional, TypeVar
from urllib.parse import urlparse

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput, ModuleError
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_connection import SERVICE_BUS_SUFFIXES

AZURE_IMPORT_ERROR: Optional[str] = None
try:
    import requests
    from azure.core.exceptions import (
        AzureError as SdkAzureError,
        ClientAuthenticationError,
        HttpResponseError,
        ResourceNotFoundError,
    )
    from azure.core.pipeline.policies import RetryPolicy
    from azure.core.pipeline.transport import RequestsTransport
    from azure.identity import (
        AzureAuthorityHosts,
        AzureCliCredential,
        ClientSecretCredential,
        DefaultAzureCredential,
        ManagedIdentityCredential,
        UsernamePasswordCredential,
    )
    from azure.mgmt.eventhub import EventHubManagementClient
except ImportError:
    AZURE_IMPORT_ERROR = traceback.format_exc()
    RetryPolicy = object  # type: ignore[assignment,misc]
    RequestsTransport = object  # type: ignore[assignment,misc]
try:
    # azure-core's response class for a requests response; without it discovery is simply not cached
    from azure.core.rest._requests_basic import RestRequestsTransportResponse
except ImportError:
    RestRequestsTransportResponse = None

T = TypeVar("T")

# Options shared by every module; the environment names are those azure.azcollection and AWX's
# "Microsoft Azure Resource Manager" credential use, then azure-identity's own.
AZURE_AUTH_ARGSPEC: Dict[str, Dict[str, Any]] = {
    "auth_source": {"type": "str", "default": "auto",
                    "choices": ["auto", "env", "cli", "msi", "credential_file"],
                    "fallback": (env_fallback, ["AZURE_AUTH_SOURCE", "ANSIBLE_AZURE_AUTH_SOURCE"])},
    "profile": {"type": "str", "fallback": (env_fallback, ["AZURE_PROFILE"])},
    "subscription_id": {"type": "str", "fallback": (env_fallback, ["AZURE_SUBSCRIPTION_ID"])},
    "client_id": {"type": "str", "fallback": (env_fallback, ["AZURE_CLIENT_ID"])},
    "secret": {"type": "str", "no_log": True,
               "fallback": (env_fallback, ["AZURE_SECRET", "AZURE_CLIENT_SECRET"])},
    "tenant": {"type": "str", "fallback": (env_fallback, ["AZURE_TENANT", "AZURE_TENANT_ID"])},
    "ad_user": {"type": "str", "fallback": (env_fallback, ["AZURE_AD_USER", "AZURE_USERNAME"])},
    "password": {"type": "str", "no_log": True,
                 "fallback": (env_fallback, ["AZURE_PASSWORD"])},
    "cloud_environment": {"type": "str", "default": "AzureCloud",
                          "fallback": (env_fallback, ["AZURE_CLOUD_ENVIRONMENT"])},
}

# Azure CLI's public client id: what a user/password login uses when no app is named.
_AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
# Bounded retries for throttling and transient server errors (azure-core backs off exponentially).
RETRY_TOTAL = 6
RETRY_BACKOFF_FACTOR = 0.5
RETRY_BACKOFF_MAX = 30


class AzureApiError(ModuleError):
    """Azure's error code and message, with the HTTP status where there was one: only for Azure's answers
    (local refusals are InvalidInput)."""

    def __init__(self, message: str, code: Optional[str] = None, status: Optional[int] = None,
                 details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message, code=code, details=details)
        self.status = status


# Public discovery documents (cloud metadata, Entra instance and tenant discovery) change rarely: each module
# process would otherwise fetch them again before its first token. They are cached per user, for a day.
DISCOVERY_CACHE_SECONDS = 24 * 3600
DISCOVERY_CACHE_ENV = "STREAMOPS_AZURE_DISCOVERY_CACHE"
_DISCOVERY_PATHS = ("/.well-known/openid-configuration", "/common/discovery/instance", "/metadata/endpoints")
_discovered: Dict[str, bytes] = {}


def discovery_cache_dir() -> Optional[str]:
    """Where discovery documents are cached: $STREAMOPS_AZURE_DISCOVERY_CACHE (``off`` disables it), else the
    user's cache directory."""
    configured = os.environ.get(DISCOVERY_CACHE_ENV)
    if configured is not None:
        return None if configured.lower() in ("", "off", "0", "false", "no") else configured
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "streamops.eventhub_connect", "azure-discovery")


def is_discovery_url(url: str) -> bool:
    path = urlparse(url).path.rstrip("/")
    return any(path.endswith(suffix) for suffix in _DISCOVERY_PATHS)


def _cache_file(url: str) -> Optional[str]:
    directory = discovery_cache_dir()
    return os.path.join(directory, hashlib.sha256(url.encode("utf-8")).hexdigest() + ".json") if directory else None


def cached_discovery(url: str, clock: Callable[[], float] = time.time) -> Optional[bytes]:
    """A discovery document fetched before, in this process or (fresh, private to this user) on disk."""
    if url in _discovered:
        return _discovered[url]
    path = _cache_file(url)
    try:
        if not path:
            return None
        info = os.stat(path)
        # only a file this user wrote and nobody else can change redirects a token request
        if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return None
        if clock() - info.st_mtime > DISCOVERY_CACHE_SECONDS:
            return None
        with open(path, "r", encoding="utf-8") as handle:
            entry = json.load(handle)
        if entry.get("url") != url:
            return None
        body = entry["body"].encode("utf-8")
    except (OSError, ValueError, KeyError, AttributeError):
        return None
    _discovered[url] = body
    return body


def remember_discovery(url: str, body: bytes) -> None:
    """Keep a discovery document for this process and, when the cache directory is writable, for later ones."""
    _discovered[url] = body
    path = _cache_file(url)
    if not path:
        return
    try:
        directory = os.path.dirname(path)
        os.makedirs(directory, mode=0o700, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"url": url, "body": body.decode("utf-8")}, out)
        os.replace(temporary, path)
        for name in os.listdir(directory):  # documents of clouds no longer used
            old = os.path.join(directory, name)
            if time.time() - os.stat(old).st_mtime > DISCOVERY_CACHE_SECONDS:
                os.unlink(old)
    except (OSError, UnicodeDecodeError):
        pass  # a read-only home (an execution environment) only costs the next process a fetch


class DiscoveryCachingTransport(RequestsTransport):  # type: ignore[misc,valid-type]
    """azure-identity's transport, answering discovery GETs from the cache; tokens are never cached."""

    def send(self, request: Any, **kwargs: Any) -> Any:
        url = str(request.url)
        if request.method != "GET" or not is_discovery_url(url):
            return super().send(request, **kwargs)
        body = cached_discovery(url) if RestRequestsTransportResponse is not None else None
        if body is not None:
            return _cached_response(request, body)
        response = super().send(request, **kwargs)
        if response.status_code == 200:
            response.read()
            remember_discovery(url, response.content)
        return response


def _cached_response(request: Any, body: bytes) -> Any:
    raw = requests.Response()
    raw.status_code, raw.reason, raw.url = 200, "OK", str(request.url)
    raw.headers["Content-Type"] = "application/json; charset=utf-8"
    raw._content = body  # pylint: disable=protected-access
    raw._content_consumed = True  # pylint: disable=protected-access
    raw.raw = io.BytesIO(body)
    response = RestRequestsTransportResponse(request=request, internal_response=raw)
    response.read()
    return response


class CloudEndpoints(NamedTuple):
    name: str
    resource_manager: str
    authority: str
    audience: str
    custom: bool
    # the namespaces' host suffix; None when a custom cloud's metadata names none
    service_bus_suffix: Optional[str] = None

    @property
    def credential_scope(self) -> str:
        return self.audience.rstrip("/") + "/.default"


KNOWN_CLOUDS: Dict[str, CloudEndpoints] = {
    "AzureCloud": CloudEndpoints("AzureCloud", "https://management.azure.com",
                                 "https://login.microsoftonline.com", "https://management.azure.com", False,
                                 SERVICE_BUS_SUFFIXES["AzureCloud"]),
    "AzureChinaCloud": CloudEndpoints("AzureChinaCloud", "https://management.chinacloudapi.cn",
                                      "https://login.chinacloudapi.cn", "https://management.chinacloudapi.cn", False,
                                      SERVICE_BUS_SUFFIXES["AzureChinaCloud"]),
    "AzureUSGovernment": CloudEndpoints("AzureUSGovernment", "https://management.usgovcloudapi.net",
                                        "https://login.microsoftonline.us", "https://management.usgovcloudapi.net",
                                        False, SERVICE_BUS_SUFFIXES["AzureUSGovernment"]),
}


def parse_cloud_metadata(document: Any, metadata_url: str) -> CloudEndpoints:
    """Read ARM's metadata endpoint: the 2022-09-01 list of clouds, or the legacy single object (Azure Stack)."""
    url_host = urlparse(metadata_url).netloc.lower()
    if isinstance(document, list):
        if not document:
            raise AzureApiError("cloud metadata at %s lists no cloud" % metadata_url, code="InvalidCloudMetadata")
        matching = [entry for entry in document
                    if urlparse(entry.get("resourceManager") or "").netloc.lower() == url_host]
        entry = (matching or document)[0]
    elif isinstance(document, dict):
        entry = document
    else:
        raise AzureApiError("cloud metadata at %s is not a JSON object or list" % metadata_url,
                            code="InvalidCloudMetadata")
    authentication = entry.get("authentication") or {}
    login = authentication.get("loginEndpoint")
    audiences = authentication.get("audiences") or []
    if not login or not audiences:
        raise AzureApiError("cloud metadata at %s has no authentication.loginEndpoint or audiences" % metadata_url,
                            code="InvalidCloudMetadata")
    parsed = urlparse(metadata_url)
    # The legacy format omits resourceManager: the metadata is served by the resource manager itself.
    resource_manager = entry.get("resourceManager") or "%s://%s" % (parsed.scheme, parsed.netloc)
    suffixes = entry.get("suffixes") if isinstance(entry.get("suffixes"), dict) else {}
    return CloudEndpoints(name=entry.get("name") or parsed.netloc, resource_manager=resource_manager.rstrip("/"),
                          authority=login.rstrip("/"), audience=audiences[0], custom=True,
                          service_bus_suffix=suffixes.get("serviceBus") or None)


def resolve_cloud(value: str) -> CloudEndpoints:
    if value in KNOWN_CLOUDS:
        return KNOWN_CLOUDS[value]
    if not value.startswith("https://"):
        raise InvalidInput("cloud_environment must be one of %s or an https:// metadata URL, not %r"
                           % (", ".join(KNOWN_CLOUDS), value), code="InvalidCloudEnvironment")
    body = cached_discovery(value)
    try:
        if body is None:
            # requests honours REQUESTS_CA_BUNDLE, like the SDK's own transport.
            response = requests.get(value, timeout=30, headers={"Accept": "application/json"})
            response.raise_for_status()
            body = response.content
        document = json.loads(body)
    except (requests.RequestException, ValueError) as exc:
        raise AzureApiError("cannot read cloud metadata from %s: %s" % (value, exc), code="InvalidCloudMetadata")
    endpoints = parse_cloud_metadata(document, value)
    remember_discovery(value, body)
    return endpoints


def module_cloud(params: Dict[str, Any]) -> CloudEndpoints:
    """The cloud a module's options name (cloud_environment, after the credential file)."""
    return resolve_cloud(effective_auth(params)["cloud_environment"])


def _credential_file(profile: Optional[str]) -> Dict[str, str]:
    path = os.path.expanduser(os.environ.get("AZURE_CREDENTIAL_FILE", "~/.azure/credentials"))
    parser = configparser.ConfigParser()
    if not parser.read(path):
        raise InvalidInput("auth_source=credential_file but %s cannot be read" % path, code="AuthenticationFailed")
    section = profile or "default"
    if not parser.has_section(section):
        raise InvalidInput("profile [%s] not found in %s" % (section, path), code="AuthenticationFailed")
    return dict(parser.items(section))


def effective_auth(params: Dict[str, Any]) -> Dict[str, Any]:
    """Options after the credential file is folded in (it fills only what the options leave unset)."""
    auth = {key: params.get(key) for key in AZURE_AUTH_ARGSPEC}
    if auth["auth_source"] == "credential_file":
        for key, value in _credential_file(auth["profile"]).items():
            if auth.get(key) is None:
                auth[key] = value
    return auth


def _has_service_principal(auth: Dict[str, Any]) -> bool:
    return bool(auth.get("client_id") and auth.get("secret") and auth.get("tenant"))


def build_credential(auth: Dict[str, Any], cloud: CloudEndpoints) -> Any:
    common: Dict[str, Any] = {"authority": cloud.authority, "transport": DiscoveryCachingTransport()}
    if cloud.custom:
        common["disable_instance_discovery"] = True
    elif cloud.name == "AzureChinaCloud":
        common["authority"] = AzureAuthorityHosts.AZURE_CHINA
    source = auth["auth_source"]
    if source in ("auto", "env", "credential_file") and _has_service_principal(auth):
        return ClientSecretCredential(auth["tenant"], auth["client_id"], auth["secret"], **common)
    if source in ("auto", "env", "credential_file") and auth.get("ad_user") and auth.get("password"):
        return UsernamePasswordCredential(auth.get("client_id") or _AZURE_CLI_CLIENT_ID, auth["ad_user"],
                                          auth["password"], tenant_id=auth.get("tenant") or "organizations",
                                          **common)
    if source in ("env", "credential_file"):
        raise InvalidInput("auth_source=%s needs client_id, secret and tenant (or ad_user and password)" % source,
                           code="AuthenticationFailed")
    if source == "cli":
        return AzureCliCredential(tenant_id=auth.get("tenant"))
    if source == "msi":
        return ManagedIdentityCredential(client_id=auth.get("client_id"))
    return DefaultAzureCredential(authority=common["authority"], managed_identity_client_id=auth.get("client_id"))


class ThrottleRetryPolicy(RetryPolicy):  # type: ignore[misc,valid-type]
    """azure-core's retries, also for POST/PATCH answered 429: a throttled request was not executed."""

    def _is_method_retryable(self, settings: Dict[str, Any], request: Any, response: Any = None) -> bool:
        if response is not None and response.status_code == 429:
            return True
        return super()._is_method_retryable(settings, request, response=response)


def eventhub_client(params: Dict[str, Any], polling_interval: float = 5) -> Any:
    auth = effective_auth(params)
    if not auth.get("subscription_id"):
        raise InvalidInput("subscription_id is required (option or AZURE_SUBSCRIPTION_ID)",
                           code="MissingSubscription")
    cloud = resolve_cloud(auth["cloud_environment"])
    credential = build_credential(auth, cloud)
    retry = ThrottleRetryPolicy(retry_total=RETRY_TOTAL, retry_backoff_factor=RETRY_BACKOFF_FACTOR,
                                retry_backoff_max=RETRY_BACKOFF_MAX)
    # one token before the first request, so that requests sent in parallel share it instead of each asking
    azure_call(credential.get_token, cloud.credential_scope)
    return EventHubManagementClient(credential, auth["subscription_id"], base_url=cloud.resource_manager,
                                    credential_scopes=[cloud.credential_scope], retry_policy=retry,
                                    polling_interval=polling_interval)


def authorization_client(params: Dict[str, Any]) -> Any:
    """Microsoft.Authorization (role assignments) with the same credential, cloud and retries as eventhub_client."""
    try:
        from azure.mgmt.authorization import AuthorizationManagementClient
    except ImportError:
        raise ModuleError("azure-mgmt-authorization is required for Entra ID role assignments (requirements.txt)",
                          code="MissingDependency")
    auth = effective_auth(params)
    if not auth.get("subscription_id"):
        raise InvalidInput("subscription_id is required (option or AZURE_SUBSCRIPTION_ID)",
                           code="MissingSubscription")
    cloud = resolve_cloud(auth["cloud_environment"])
    retry = ThrottleRetryPolicy(retry_total=RETRY_TOTAL, retry_backoff_factor=RETRY_BACKOFF_FACTOR,
                                retry_backoff_max=RETRY_BACKOFF_MAX)
    return AuthorizationManagementClient(build_credential(auth, cloud), auth["subscription_id"],
                                         base_url=cloud.resource_manager, credential_scopes=[cloud.credential_scope],
                                         retry_policy=retry)


def without_code(message: str, code: str) -> str:
    """Azure's message without the code azure-core folds into it ("(Conflict) ...", "Code: Conflict" lines),
    so that ModuleError prints the code once."""
    lines = [line for line in message.splitlines()
             if line.strip() and not line.startswith(("Code: ", "Message: ", "Target: ", "Inner error: "))]
    text = "\n".join(lines) or message
    for prefix in ("(%s) " % code, "%s: " % code, "(%s)" % code):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text.strip() or message


def error_from_sdk(exc: Exception) -> AzureApiError:
    if isinstance(exc, ClientAuthenticationError):
        message = getattr(exc, "message", None) or str(exc)
        return AzureApiError("authentication failed: %s" % message.splitlines()[0] if message else str(exc),
                             code="AuthenticationFailed", status=getattr(exc, "status_code", None))
    if isinstance(exc, HttpResponseError):
        error = getattr(exc, "error", None)
        code = getattr(error, "code", None) or getattr(exc, "reason", None) or "HttpError"
        message = getattr(error, "message", None) or getattr(exc, "message", None) or str(exc)
        return AzureApiError(without_code(message, code), code=code, status=exc.status_code)
    return AzureApiError(str(exc), code=type(exc).__name__)


def azure_call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one SDK call, turning every SDK error into AzureApiError."""
    try:
        return function(*args, **kwargs)
    except SdkAzureError as exc:
        raise error_from_sdk(exc)


def get_or_none(function: Callable[..., Any], *args: Any) -> Optional[Dict[str, Any]]:
    """A GET that answers None for 404, and the resource as plain JSON otherwise."""
    try:
        return as_json(function(*args))
    except ResourceNotFoundError:
        return None
    except SdkAzureError as exc:
        raise error_from_sdk(exc)


def as_json(model: Any) -> Dict[str, Any]:
    if model is None:
        return {}
    if hasattr(model, "as_dict"):
        return model.as_dict()
    return dict(model)


def list_json(pager: Any) -> List[Dict[str, Any]]:
    try:
        return [as_json(item) for item in pager]
    except SdkAzureError as exc:
        raise error_from_sdk(exc)


def wait_for_poller(poller: Any, timeout: float, what: str) -> Any:
    """Bounded wait on a long-running operation."""
    try:
        poller.wait(timeout=timeout)
        if not poller.done():
            raise AzureApiError("%s did not finish within %s seconds (status: %s)" % (what, timeout, poller.status()),
                                code="Timeout")
        return poller.result()
    except SdkAzureError as exc:
        raise error_from_sdk(exc)


def azure_module(argument_spec: Dict[str, Any], **kwargs: Any) -> AnsibleModule:
    spec = dict(AZURE_AUTH_ARGSPEC)
    spec.update(argument_spec)
    module = AnsibleModule(argument_spec=spec, **kwargs)
    if AZURE_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("azure-identity and azure-mgmt-eventhub"),
                         exception=AZURE_IMPORT_ERROR)
    return module
