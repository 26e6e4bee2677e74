# SPDX-License-Identifier: GPL-3.0-or-later
"""The pod runner materializes a container's Secret, ConfigMap, projected and emptyDir volumes as the kubelet does."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import worker_env  # noqa: E402  pylint: disable=wrong-import-position

SECRETS = {"connector-secrets": {"database-password": "pw", "other": "x"}}
CONFIGMAPS = {"settings": {"a.properties": "a=1\n"}}
CREDENTIALS = "/opt/kafka/external-configuration/connector-secrets"


def pod(volumes: list[dict[str, Any]], mounts: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    container = {"name": "kafka-connect", "volumeMounts": mounts}
    return {"metadata": {"name": "p", "namespace": "n"}, "spec": {"volumes": volumes, "containers": [container]}}, container


def mounts(volumes: list[dict[str, Any]], entries: list[dict[str, Any]]) -> list[worker_env.Mount]:
    spec, container = pod(volumes, entries)
    return worker_env.container_mounts(spec, container, CONFIGMAPS, SECRETS)


def test_a_secret_volume_is_one_read_only_file_per_key_with_the_default_mode() -> None:
    [mount] = mounts([{"name": "s", "secret": {"secretName": "connector-secrets"}}],
                     [{"name": "s", "mountPath": CREDENTIALS + "/"}])
    assert mount.mount_path == CREDENTIALS and mount.read_only
    assert mount.files == {"database-password": ("pw", 0o644), "other": ("x", 0o644)}


def test_items_pick_keys_paths_and_modes() -> None:
    items = [{"key": "database-password", "path": "db/password"}, {"key": "other", "path": "o", "mode": 0o440}]
    secret = {"secretName": "connector-secrets", "defaultMode": 0o400, "items": items}
    [mount] = mounts([{"name": "s", "secret": secret}], [{"name": "s", "mountPath": "/etc/creds"}])
    assert mount.files == {"db/password": ("pw", 0o400), "o": ("x", 0o440)}


def test_configmap_projected_and_empty_dir() -> None:
    found = mounts([{"name": "c", "configMap": {"name": "settings"}},
                    {"name": "p", "projected": {"sources": [{"secret": {"name": "connector-secrets"}},
                                                            {"configMap": {"name": "settings"}}]}},
                    {"name": "e", "emptyDir": {}}],
                   [{"name": "c", "mountPath": "/c", "subPath": "a.properties"}, {"name": "p", "mountPath": "/p"},
                    {"name": "e", "mountPath": "/tmp/work"}])
    assert found[0].files == {"a.properties": ("a=1\n", 0o644)} and found[0].sub_path == "a.properties"
    assert set(found[1].files or {}) == {"database-password", "other", "a.properties"}
    assert found[2].files is None and not found[2].read_only


@pytest.mark.parametrize("volume, message", [
    ({"name": "s", "secret": {"secretName": "missing"}}, "MountVolume.SetUp failed for volume 's': secret 'missing'"),
    ({"name": "s", "secret": {"secretName": "connector-secrets", "items": [{"key": "nope", "path": "x"}]}},
     "key 'nope' is not in secret"),
    ({"name": "s", "secret": {"secretName": "connector-secrets", "items": [{"key": "other", "path": "../x"}]}},
     "must be relative"),
    ({"name": "s", "hostPath": {"path": "/"}}, r"kind \['hostPath'\] is not supported"),
])
def test_volumes_a_container_could_not_start_with_are_refused(volume: dict[str, Any], message: str) -> None:
    with pytest.raises(worker_env.WorkerEnvError, match=message):
        mounts([volume], [{"name": "s", "mountPath": "/m"}])


def test_an_optional_missing_secret_is_an_empty_volume_and_an_unknown_volume_is_refused() -> None:
    [mount] = mounts([{"name": "s", "secret": {"secretName": "missing", "optional": True}}],
                     [{"name": "s", "mountPath": "/m"}])
    assert mount.files == {}
    with pytest.raises(worker_env.WorkerEnvError, match="names volume 'x'"):
        mounts([], [{"name": "x", "mountPath": "/m"}])


def test_the_service_account_volume_gets_a_token_the_root_ca_and_the_namespace() -> None:
    volume = {"name": "kube-api-access-x", "projected": {"defaultMode": 0o644, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}}
    spec, container = pod([volume], [{"name": "kube-api-access-x",
                                      "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}])
    asked = []
    [mount] = worker_env.container_mounts(spec, container, {"kube-root-ca.crt": {"ca.crt": "PEM"}}, SECRETS,
                                          lambda seconds, audience: asked.append((seconds, audience)) or "jwt")
    assert mount.files == {"token": ("jwt", 0o644), "ca.crt": ("PEM", 0o644), "namespace": ("n", 0o644)}
    assert asked == [(3607, None)]
