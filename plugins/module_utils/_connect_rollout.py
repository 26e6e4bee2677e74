# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""When a Connect Deployment or StatefulSet has rolled out, and which of its pods the Service routes to.

The rules are pure functions of the objects the API server returns; RolloutReader reads those objects
and wakes its caller the moment one of them changes (watches), so a wait reacts to a pod turning
Ready within milliseconds instead of a poll interval.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect import (
    ConnectError,
    ConnectResponse,
)

WORKLOAD_KINDS = {"Deployment": "deployments", "StatefulSet": "statefulsets"}
WATCH_SECONDS = 60


def rollout_pending(workload: Optional[Dict[str, Any]], kind: str) -> Optional[str]:
    """None when the workload has rolled out; otherwise what it is still waiting for, in words.

    Rolled out: the controller saw the current spec (observedGeneration), and every desired replica
    is updated, ready and available (where the status reports availableReplicas); a StatefulSet's
    currentRevision has also caught up with its updateRevision.
    """
    if not workload:
        return "the {0} does not exist".format(kind)
    metadata = workload.get("metadata") or {}
    status = workload.get("status") or {}
    desired = (workload.get("spec") or {}).get("replicas")
    desired = 1 if desired is None else int(desired)
    if int(status.get("observedGeneration") or 0) < int(metadata.get("generation") or 0):
        return "the controller has not seen generation {0} yet".format(metadata.get("generation"))
    counts = {name: int(status.get(name) or 0) for name in ("replicas", "updatedReplicas", "readyReplicas")}
    if kind == "Deployment" or "availableReplicas" in status:
        counts["availableReplicas"] = int(status.get("availableReplicas") or 0)
    behind = ["{0}={1}".format(name, count) for name, count in counts.items() if count != desired]
    if behind:
        return "{0} of {1} replicas: {2}".format(kind, desired, ", ".join(behind))
    if kind == "StatefulSet" and status.get("currentRevision") != status.get("updateRevision"):
        return "currentRevision {0} is not updateRevision {1}".format(
            status.get("currentRevision"), status.get("updateRevision"))
    return None


def ready_endpoints(slices: List[Dict[str, Any]]) -> List[Tuple[str, int]]:
    """(pod name, port) of every ready, non-terminating endpoint in a Service's EndpointSlices."""
    found = {}  # type: Dict[str, int]
    for endpoint_slice in slices:
        ports = [port.get("port") for port in endpoint_slice.get("ports") or [] if port.get("port")]
        for endpoint in endpoint_slice.get("endpoints") or []:
            conditions = endpoint.get("conditions") or {}
            target = endpoint.get("targetRef") or {}
            if not ports or target.get("kind") != "Pod" or not target.get("name"):
                continue
            if conditions.get("ready") is False or conditions.get("terminating") is True:
                continue
            found[target["name"]] = int(ports[0])
    return sorted(found.items())


def pod_proxy_path(namespace: str, pod: str, port: int) -> str:
    """The API path that proxies to a pod's port, e.g. /api/v1/namespaces/ns/pods/name:8083/proxy."""
    return "/api/v1/namespaces/{0}/pods/{1}:{2}/proxy".format(quote(namespace, safe=""), quote(pod, safe=""), port)


class RolloutReader:
    """Reads a workload and its Service's EndpointSlices through a kubernetes DynamicClient.

    start_watches() runs one watch per object in daemon threads; each event sets `changed`, which the
    caller waits on between reads. A watch that breaks is restarted after a pause; the caller's own
    poll interval covers the gap.
    """

    def __init__(self, dynamic: Any, namespace: str, kind: str, name: str, service: Optional[str]) -> None:
        self.dynamic = dynamic
        self.namespace = namespace
        self.kind = kind
        self.name = name
        self.service = service
        self.changed = threading.Event()
        self.stopping = False
        self.requests = 0
        self.watch_errors = []  # type: List[str]

    def workload_path(self) -> str:
        return "/apis/apps/v1/namespaces/{0}/{1}/{2}".format(
            quote(self.namespace, safe=""), WORKLOAD_KINDS[self.kind], quote(self.name, safe=""))

    def slices_path(self) -> str:
        return "/apis/discovery.k8s.io/v1/namespaces/{0}/endpointslices".format(quote(self.namespace, safe=""))

    def get_json(self, path: str, query: Optional[List[Tuple[str, str]]] = None, timeout: float = 10.0) -> Optional[Any]:
        """GET path and decode it; None on 404; ConnectError on anything else that is not 200."""
        response = self.raw("GET", path, query or [], timeout)
        if response.status == 404:
            return None
        if response.status != 200:
            raise ConnectError("GET {0} answered HTTP {1}: {2}".format(path, response.status, response.excerpt()))
        return response.json()

    def raw(self, method: str, path: str, query: List[Tuple[str, str]], timeout: float) -> ConnectResponse:
        from kubernetes.client.rest import ApiException  # the library is there: the client was built
        from urllib3.exceptions import HTTPError as Urllib3Error

        self.requests += 1
        try:
            response = self.dynamic.request(method, path, query_params=query, header_params={"Accept": "application/json"},
                                            _request_timeout=timeout, serialize=False)
            return ConnectResponse(response.status, response.data or b"", path)
        except ApiException as err:
            if not getattr(err, "status", None):
                raise ConnectError("{0} {1}: {2}".format(method, path, to_text(err)))
            return ConnectResponse(err.status, getattr(err, "body", None) or b"", path)
        except (Urllib3Error, OSError) as err:
            raise ConnectError("{0} {1}: {2}".format(method, path, to_text(err)))

    def workload(self, timeout: float) -> Optional[Dict[str, Any]]:
        return self.get_json(self.workload_path(), timeout=timeout)

    def endpoints(self, timeout: float) -> List[Tuple[str, int]]:
        if not self.service:
            return []
        listing = self.get_json(self.slices_path(), [("labelSelector", "kubernetes.io/service-name=" + self.service)],
                                timeout=timeout) or {}
        return ready_endpoints(listing.get("items") or [])

    def probe_pod(self, pod: str, port: int, path: str, timeout: float) -> ConnectResponse:
        """GET path on one pod through the API server's pod proxy (not through the Service)."""
        return self.raw("GET", pod_proxy_path(self.namespace, pod, port) + path, [], timeout)

    def start_watches(self) -> None:
        from kubernetes import client  # the library is there: the client was built

        api_client = self.dynamic.client
        apps = client.AppsV1Api(api_client)
        lister = apps.list_namespaced_deployment if self.kind == "Deployment" else apps.list_namespaced_stateful_set
        watches = [(lister, {"field_selector": "metadata.name=" + self.name})]
        if self.service:
            discovery = client.DiscoveryV1Api(api_client)
            watches.append((discovery.list_namespaced_endpoint_slice,
                            {"label_selector": "kubernetes.io/service-name=" + self.service}))
        for lister, selector in watches:
            threading.Thread(target=self._watch, args=(lister, selector), name="watch", daemon=True).start()

    def _watch(self, lister: Any, selector: Dict[str, str]) -> None:
        # Any bytes on the stream are an event (no bookmarks are asked for): the caller re-reads what it needs,
        # so the events are not parsed. Read as they come: a line-buffered reader may hold them back.
        while not self.stopping:
            try:
                stream = lister(self.namespace, watch=True, timeout_seconds=WATCH_SECONDS, _preload_content=False,
                                **selector)
                try:
                    for _chunk in stream.stream(65536):
                        self.changed.set()
                        if self.stopping:
                            return
                finally:
                    stream.release_conn()
            except Exception as err:  # a broken watch only costs latency: the caller polls anyway
                self.watch_errors.append(to_text(err)[:200])
                time.sleep(1.0)

    def stop(self) -> None:
        self.stopping = True
