# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""The argument spec, input checks and REST client that every Kafka Connect module builds from its parameters."""

from __future__ import annotations

import traceback

from typing import Any, Dict, Iterable
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect import (
    CONNECT_PROXY_ARG_SPEC,
    CONNECT_URL_ARG_SPEC,
    ConnectClient,
    UrlTransport,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput, ModuleError

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC

    KUBERNETES_CORE_IMPORT_ERROR = None
except ImportError:
    AUTH_ARG_SPEC = {}
    KUBERNETES_CORE_IMPORT_ERROR = traceback.format_exc()

# Keyword arguments of AnsibleModule shared by the Connect modules: a URL or a Service, not both.
CONNECT_MODULE_KWARGS = {
    "mutually_exclusive": [("url", "service")],
    "required_one_of": [("url", "service")],
    "required_by": {"service": "namespace"},
}


def connect_argument_spec(module_options: Dict[str, Any]) -> Dict[str, Any]:
    """kubernetes.core's auth options, the shared Connect options, then the module's own."""
    spec = {}  # type: Dict[str, Any]
    # the shared TLS names come after kubernetes.core's so they take the Connect docs' meaning
    spec.update(AUTH_ARG_SPEC)
    spec.update(CONNECT_URL_ARG_SPEC)
    spec.update(CONNECT_PROXY_ARG_SPEC)
    spec.update(module_options)
    return spec


def check_connect_params(params: Dict[str, Any], non_negative: Iterable[str] = ("timeout",),
                         positive: Iterable[str] = ("request_timeout",)) -> None:
    """Refuse, before any request, a URL that cannot be reached and durations that cannot be waited."""
    url = params.get("url")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or any(char.isspace() for char in url):
            raise InvalidInput("url {0!r} is not an http:// or https:// URL with a host "
                               "(for example http://connect.example.com:8083)".format(url))
    for field in ("namespace", "service", "port"):
        if params.get(field) is not None and not str(params[field]).strip():
            raise InvalidInput("{0} is empty".format(field))
    for field in non_negative:
        if params.get(field) is not None and params[field] < 0:
            raise InvalidInput("{0} is {1:g}; it must be 0 or more seconds".format(field, params[field]))
    for field in positive:
        if params.get(field) is not None and params[field] <= 0:
            raise InvalidInput("{0} is {1:g}; it must be more than 0 seconds".format(field, params[field]))


def build_connect_client(module: AnsibleModule, request_timeout: float, dynamic: Any = None) -> ConnectClient:
    """A client for O(url), or for the service proxy to O(namespace)/O(service):O(port) (over dynamic if given)."""
    params = module.params
    if params["url"]:
        transport = UrlTransport(
            params["url"],
            validate_certs=params["validate_certs"],
            ca_path=params["ca_path"],
            client_cert=params["client_cert"],
            client_key=params["client_key"],
            url_username=params["url_username"],
            url_password=params["url_password"],
        )  # type: Any
    else:
        if KUBERNETES_CORE_IMPORT_ERROR:
            raise ModuleError(missing_required_lib("kubernetes.core"), details={"import_error": KUBERNETES_CORE_IMPORT_ERROR})
        # imported here: the kubernetes library takes seconds to import, and URL mode needs none of it
        from ansible_collections.streamops.eventhub_connect.plugins.module_utils._k8s_proxy import (
            ServiceProxyTransport,
        )

        transport = ServiceProxyTransport(module, params["namespace"], params["service"], params["port"], params["scheme"],
                                          dynamic=dynamic)
    return ConnectClient(transport, request_timeout=request_timeout)
