# SPDX-License-Identifier: GPL-3.0-or-later
"""The pod runner gives a StatefulSet's pods the DNS names cluster DNS would (hostname.subdomain.namespace.svc)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import pod_runner  # noqa: E402  pylint: disable=wrong-import-position


def test_a_pod_with_hostname_and_subdomain_gets_both_dns_names() -> None:
    pod = {"metadata": {"name": "kafka-connect-1", "namespace": "kc"},
           "spec": {"hostname": "kafka-connect-1", "subdomain": "kafka-connect-headless"}}
    assert pod_runner.pod_host_names(pod) == ["kafka-connect-1.kafka-connect-headless.kc.svc.cluster.local",
                                              "kafka-connect-1.kafka-connect-headless.kc.svc"]


def test_a_deployments_pod_gets_none() -> None:
    assert pod_runner.pod_host_names({"metadata": {"name": "kc-5d8f-abcde", "namespace": "kc"}, "spec": {}}) == []
    assert pod_runner.pod_host_names({"metadata": {"name": "p", "namespace": "kc"}, "spec": {"hostname": "p"}}) == []
