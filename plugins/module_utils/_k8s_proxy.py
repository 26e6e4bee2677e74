# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""Reach a Service through the Kubernetes API server's service proxy with kubernetes.core's client."""

from __future__ import annotations

from typing import Any, Dict, Optional
from urllib.parse import parse_qsl, quote, urlsplit

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect import (
    ConnectError,
    ConnectResponse,
)

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
except ImportError:
    AUTH_ARG_SPEC = {}
    get_api_client = None

    class CoreException(Exception):  # type: ignore[no-redef]
        """Stand-in so the except clause below stays valid without kubernetes.core."""

try:
    from kubernetes.client.rest import ApiException
    from urllib3.exceptions import HTTPError as Urllib3Error

    HAS_KUBERNETES = True
except ImportError:
    # ServiceProxyTransport reports the missing library before any request
    HAS_KUBERNETES = False

    class ApiException(Exception):  # type: ignore[no-redef]
        """Stand-in so the except clauses below stay valid without the kubernetes library."""

    class Urllib3Error(Exception):  # type: ignore[no-redef]
        """Stand-in so the except clauses below stay valid without urllib3."""


def k8s_auth_options(params: Dict[str, Any]) -> Dict[str, Any]:
    """The kubernetes.core auth options the user set; unset ones fall back to K8S_AUTH_* and kubeconfig."""
    return {name: params[name] for name in AUTH_ARG_SPEC if params.get(name) is not None}


def service_proxy_path(namespace: str, service: str, port: str, scheme: str = "http") -> str:
    """The API path that proxies to a Service port, e.g. /api/v1/namespaces/ns/services/svc:8083/proxy."""
    target = "{0}:{1}".format(service, port)
    if scheme == "https":
        target = "https:" + target
    return "/api/v1/namespaces/{0}/services/{1}/proxy".format(quote(namespace, safe=""), quote(target, safe=":"))


def dynamic_client(module: Any, purpose: str = "the service proxy") -> Any:
    """kubernetes' DynamicClient, authenticated as kubernetes.core.k8s is: options, then K8S_AUTH_*, then kubeconfig."""
    if get_api_client is None:
        raise ConnectError("the kubernetes.core collection is required for {0}".format(purpose))
    if not HAS_KUBERNETES:
        raise ConnectError("the kubernetes Python library is required for {0}".format(purpose))
    try:
        return get_api_client(**k8s_auth_options(module.params)).client
    except CoreException as err:
        raise ConnectError("cannot build a Kubernetes API client: {0}".format(to_text(err)))


class ServiceProxyTransport:
    """Connect REST through /api/v1/namespaces/NS/services/NAME:PORT/proxy with the K8S_AUTH_* auth."""

    def __init__(self, module: Any, namespace: str, service: str, port: str, scheme: str = "http",
                 dynamic: Any = None) -> None:
        self.dynamic = dynamic if dynamic is not None else dynamic_client(module)
        self.namespace = namespace
        self.service = service
        self.base_path = service_proxy_path(namespace, service, port, scheme)

    def describe(self) -> str:
        return "{0}{1}".format(self.dynamic.configuration.host, self.base_path)

    def send(self, method: str, path: str, body: Any, timeout: float) -> ConnectResponse:
        parts = urlsplit(path)
        try:
            response = self.dynamic.request(
                method,
                self.base_path + parts.path,
                body=body,
                query_params=parse_qsl(parts.query, keep_blank_values=True),
                header_params={"Accept": "application/json"},
                _request_timeout=timeout,
                # raw response: the dynamic client's serializer expects an object and breaks on a JSON list
                serialize=False,
            )
            return ConnectResponse(response.status, _raw(response.data), self.describe() + path)
        except ApiException as err:
            status = getattr(err, "status", None)
            if not status:
                raise ConnectError("{0} {1}: {2}".format(method, self.describe() + path, to_text(err)))
            return ConnectResponse(status, _raw(getattr(err, "body", b"")), self.describe() + path)
        except (Urllib3Error, OSError) as err:
            raise ConnectError("{0} {1}: {2}".format(method, self.describe() + path, to_text(err)))


def _raw(data: Optional[Any]) -> Any:
    """The answer's bytes (or text), decoded by ConnectResponse, which flags a body that is not UTF-8."""
    return b"" if data is None else data
