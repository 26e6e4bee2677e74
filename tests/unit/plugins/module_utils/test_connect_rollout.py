# SPDX-License-Identifier: GPL-3.0-or-later
"""When a Deployment or StatefulSet counts as rolled out, and which pods a Service's EndpointSlices route to."""

from __future__ import annotations

import os
import sys

import pytest

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect_rollout import (  # noqa: E402
    pod_proxy_path,
    ready_endpoints,
    rollout_pending,
)


def deployment(**status):
    return {"metadata": {"generation": 2}, "spec": {"replicas": 2}, "status": status}


DONE = {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2}


def test_a_deployment_with_every_replica_updated_ready_and_available_is_rolled_out():
    assert rollout_pending(deployment(**DONE), "Deployment") is None


@pytest.mark.parametrize("change, words", [
    ({"observedGeneration": 1}, "has not seen generation 2"),
    ({"availableReplicas": 1}, "availableReplicas=1"),
    ({"readyReplicas": 1, "availableReplicas": 1}, "readyReplicas=1, availableReplicas=1"),
    ({"updatedReplicas": 1}, "updatedReplicas=1"),
    # an old pod still running beside two new ones: the rollout is not over
    ({"replicas": 3}, "replicas=3"),
])
def test_a_deployment_still_rolling_says_what_it_waits_for(change, words):
    assert words in rollout_pending(deployment(**dict(DONE, **change)), "Deployment")


def test_a_deployment_without_availablereplicas_is_not_rolled_out():
    status = dict(DONE)
    del status["availableReplicas"]
    assert "availableReplicas=0" in rollout_pending(deployment(**status), "Deployment")


def test_a_missing_workload_and_the_default_of_one_replica():
    assert rollout_pending(None, "StatefulSet") == "the StatefulSet does not exist"
    one = {"metadata": {"generation": 1}, "spec": {},
           "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1,
                      "availableReplicas": 1}}
    assert rollout_pending(one, "Deployment") is None


def test_a_statefulset_waits_for_its_revision_and_for_availablereplicas_only_where_reported():
    status = {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2,
              "currentRevision": "kc-1", "updateRevision": "kc-2"}
    assert "currentRevision kc-1 is not updateRevision kc-2" in rollout_pending(deployment(**status), "StatefulSet")
    status["currentRevision"] = "kc-2"
    assert rollout_pending(deployment(**status), "StatefulSet") is None
    assert "availableReplicas=1" in rollout_pending(deployment(**dict(status, availableReplicas=1)), "StatefulSet")


def endpoint(pod, ready=True, terminating=False, kind="Pod"):
    return {"conditions": {"ready": ready, "terminating": terminating}, "targetRef": {"kind": kind, "name": pod}}


def test_ready_endpoints_skip_unready_terminating_and_portless_ones():
    slices = [
        {"ports": [{"name": "rest", "port": 8083}],
         "endpoints": [endpoint("kc-b"), endpoint("kc-a"), endpoint("kc-old", ready=False, terminating=True),
                       endpoint("kc-starting", ready=False), endpoint("ip-only", kind="Node")]},
        {"ports": [], "endpoints": [endpoint("kc-noport")]},
    ]
    assert ready_endpoints(slices) == [("kc-a", 8083), ("kc-b", 8083)]


def test_an_endpoint_without_conditions_counts_as_ready():
    # EndpointSlice API: a nil ready condition means ready
    assert ready_endpoints([{"ports": [{"port": 8083}], "endpoints": [{"targetRef": {"kind": "Pod", "name": "kc"}}]}]) \
        == [("kc", 8083)]


def test_pod_proxy_path_quotes_the_names():
    assert pod_proxy_path("kafka-connect", "kc-7d9f-abcde", 8083) == \
        "/api/v1/namespaces/kafka-connect/pods/kc-7d9f-abcde:8083/proxy"
