# SPDX-License-Identifier: GPL-3.0-or-later
"""From a pod to a Kafka Connect worker's settings, as a kubelet and a Connect image would do it.

Pure functions over the pod as the API serves it (camelCase JSON) and the ConfigMaps and Secrets
of its namespace, so they are unit-tested without a cluster (tests/unit/testbed/).

1. `resolve_env` does what the kubelet does for one container: `envFrom` sources first, in
   order (optional prefix), then `env` entries in order (`value` with `$(VAR)` expansion, or
   `valueFrom` configMapKeyRef / secretKeyRef / fieldRef). A missing source that is not
   `optional` is an error, as it keeps a real container from starting.
2. `worker_spec` does what the container image's entrypoint does with that environment. Two
   image conventions exist; `CONNECT_BOOTSTRAP_SERVERS` in the env selects Confluent's, else
   Debezium's is used:
   - Debezium (`debezium/connect`): BOOTSTRAP_SERVERS, GROUP_ID (default 1), CONFIG_STORAGE_TOPIC,
     OFFSET_STORAGE_TOPIC, STATUS_STORAGE_TOPIC, KEY_CONVERTER / VALUE_CONVERTER (default
     JsonConverter), REST_PORT, ADVERTISED_HOST_NAME, ADVERTISED_PORT, OFFSET_FLUSH_INTERVAL_MS,
     OFFSET_FLUSH_TIMEOUT_MS, SHUTDOWN_TIMEOUT, HEAP_OPTS; these win over CONNECT_* spellings of
     the same settings. Every other CONNECT_X_Y becomes x.y (lower case, `_` -> `.`).
   - Confluent (`cp-kafka-connect`): CONNECT_X becomes x with `___` -> `-`, `__` -> `_`, `_` -> `.`
     (CONNECT_REST_ADVERTISED_HOST_NAME -> rest.advertised.host.name).
   In both, CONNECT_LOG4J_* configure logging, not the worker, and KAFKA_HEAP_OPTS sets the heap.
3. The testbed then fills what the pod's network gives: `listeners=http://<pod IP>:<port>` and
   `rest.advertised.host.name=<pod IP>` unless the env set them, and `plugin.path` (the testbed's
   plugin folder, with the FileStream connectors) unless the env set it. A listener on all
   interfaces (`http://:8083`, `http://0.0.0.0:8083`) is bound to the pod IP instead: in a real pod
   that is the same thing, here every pod shares one network namespace.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

DEBEZIUM = "debezium"
CONFLUENT = "confluent"
DEFAULT_HEAP_OPTS = "-Xms128m -Xmx384m"
DEFAULT_REST_PORT = "8083"
JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"

# debezium/connect's docker-entrypoint.sh: short name -> (worker property, default)
DEBEZIUM_SETTINGS: dict[str, tuple[str, str | None]] = {
    "BOOTSTRAP_SERVERS": ("bootstrap.servers", None),
    "GROUP_ID": ("group.id", "1"),
    "CONFIG_STORAGE_TOPIC": ("config.storage.topic", None),
    "OFFSET_STORAGE_TOPIC": ("offset.storage.topic", None),
    "STATUS_STORAGE_TOPIC": ("status.storage.topic", None),
    "KEY_CONVERTER": ("key.converter", JSON_CONVERTER),
    "VALUE_CONVERTER": ("value.converter", JSON_CONVERTER),
    "ADVERTISED_HOST_NAME": ("rest.advertised.host.name", None),
    "ADVERTISED_PORT": ("rest.advertised.port", None),
    "OFFSET_FLUSH_INTERVAL_MS": ("offset.flush.interval.ms", "60000"),
    "OFFSET_FLUSH_TIMEOUT_MS": ("offset.flush.timeout.ms", "5000"),
    "SHUTDOWN_TIMEOUT": ("task.shutdown.graceful.timeout.ms", "10000"),
}
DEBEZIUM_REQUIRED = ("BOOTSTRAP_SERVERS", "CONFIG_STORAGE_TOPIC", "OFFSET_STORAGE_TOPIC")
CONFLUENT_REQUIRED = ("CONNECT_BOOTSTRAP_SERVERS", "CONNECT_GROUP_ID", "CONNECT_CONFIG_STORAGE_TOPIC",
                      "CONNECT_OFFSET_STORAGE_TOPIC", "CONNECT_STATUS_STORAGE_TOPIC", "CONNECT_KEY_CONVERTER",
                      "CONNECT_VALUE_CONVERTER")
FIELD_PATH = re.compile(r"^metadata\.(labels|annotations)\['([^']+)'\]$")
WILDCARD_LISTENER = re.compile(r"^([A-Za-z0-9_]+://)(?:|0\.0\.0\.0|\[::\]|::)(:[0-9]+)$")
EXPANSION = re.compile(r"\$\$|\$\(([^)]*)\)")


class WorkerEnvError(ValueError):
    """The pod's env cannot be turned into a worker, as its container could not start."""


@dataclass(frozen=True)
class WorkerSpec:
    """What the runner needs to start one worker."""

    convention: str
    properties: dict[str, str]
    heap_opts: str
    bootstrap_hosts: tuple[str, ...] = field(default=())


# -------------------------------------------------------------- the kubelet part


def select_container(pod: Mapping[str, Any], annotation: str) -> Mapping[str, Any]:
    """The container named by the annotation, else the pod's first container."""
    containers = pod.get("spec", {}).get("containers") or []
    if not containers:
        raise WorkerEnvError("the pod has no containers")
    wanted = (pod.get("metadata", {}).get("annotations") or {}).get(annotation)
    if not wanted:
        return containers[0]
    for container in containers:
        if container.get("name") == wanted:
            return container
    raise WorkerEnvError(f"annotation {annotation} names container {wanted!r}, which the pod does not have")


def decode_secret_data(data: Mapping[str, str] | None) -> dict[str, str]:
    """Secret `data` values are base64 on the wire."""
    return {key: base64.b64decode(value).decode("utf-8") for key, value in (data or {}).items()}


def expand(value: str, env: Mapping[str, str]) -> str:
    """Kubernetes' $(VAR) expansion: defined names are replaced, others kept, `$$` is a literal `$`."""
    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env[name] if name in env else match.group(0)

    return EXPANSION.sub(substitute, value)


def field_value(pod: Mapping[str, Any], path: str) -> str:
    metadata, spec, status = pod.get("metadata", {}), pod.get("spec", {}), pod.get("status", {})
    simple = {
        "metadata.name": metadata.get("name"),
        "metadata.namespace": metadata.get("namespace"),
        "metadata.uid": metadata.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName"),
        "status.hostIP": status.get("hostIP"),
        "status.podIP": status.get("podIP"),
    }
    if path in simple:
        return simple[path] or ""
    keyed = FIELD_PATH.match(path)
    if keyed:
        return (metadata.get(keyed.group(1)) or {}).get(keyed.group(2), "")
    raise WorkerEnvError(f"fieldRef {path!r} is not supported by the testbed")


def key_ref(kind: str, ref: Mapping[str, Any], sources: Mapping[str, Mapping[str, str]]) -> str | None:
    name, key, optional = ref.get("name"), ref.get("key"), bool(ref.get("optional"))
    values = sources.get(name)
    if values is None or key not in values:
        if optional:
            return None
        missing = f"{kind} {name!r}" if values is None else f"key {key!r} in {kind} {name!r}"
        raise WorkerEnvError(f"{missing} is missing and not optional")
    return values[key]


def value_from(pod: Mapping[str, Any], source: Mapping[str, Any], configmaps: Mapping[str, Mapping[str, str]],
               secrets: Mapping[str, Mapping[str, str]]) -> str | None:
    if "configMapKeyRef" in source:
        return key_ref("ConfigMap", source["configMapKeyRef"], configmaps)
    if "secretKeyRef" in source:
        return key_ref("Secret", source["secretKeyRef"], secrets)
    if "fieldRef" in source:
        return field_value(pod, source["fieldRef"]["fieldPath"])
    raise WorkerEnvError(f"valueFrom {sorted(source)} is not supported by the testbed")


def env_from(source: Mapping[str, Any], configmaps: Mapping[str, Mapping[str, str]],
             secrets: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    kind, ref = ("ConfigMap", source["configMapRef"]) if "configMapRef" in source else ("Secret", source.get("secretRef"))
    if ref is None:
        raise WorkerEnvError(f"envFrom {sorted(source)} is not supported by the testbed")
    values = (configmaps if kind == "ConfigMap" else secrets).get(ref.get("name"))
    if values is None:
        if ref.get("optional"):
            return {}
        raise WorkerEnvError(f"{kind} {ref.get('name')!r} is missing and not optional")
    prefix = source.get("prefix") or ""
    # The kubelet skips keys that cannot be variable names; since 1.30 that is only a key with '='.
    return {prefix + key: value for key, value in values.items() if "=" not in prefix + key}


def resolve_env(pod: Mapping[str, Any], container: Mapping[str, Any], configmaps: Mapping[str, Mapping[str, str]],
                secrets: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The container's environment, as the kubelet would hand it to the process."""
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        env.update(env_from(source, configmaps, secrets))
    for entry in container.get("env") or []:
        if "valueFrom" in entry and entry["valueFrom"] is not None:
            value = value_from(pod, entry["valueFrom"], configmaps, secrets)
            if value is None:
                continue
        else:
            value = expand(entry.get("value") or "", env)
        env[entry["name"]] = value
    return env


# ----------------------------------------------------------- the image's part


def confluent_property(name: str) -> str:
    """cp-kafka-connect's env_to_props: `___` -> `-`, `__` -> `_`, `_` -> `.`, lower case."""
    body = name[len("CONNECT_"):].lower()
    return body.replace("___", "\0").replace("__", "\1").replace("_", ".").replace("\0", "-").replace("\1", "_")


def debezium_property(name: str) -> str:
    return name[len("CONNECT_"):].lower().replace("_", ".")


def connect_variables(env: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items()
            if name.startswith("CONNECT_") and not name.startswith("CONNECT_LOG4J_")}


def missing_required(env: Mapping[str, str], required: tuple[str, ...], convention: str) -> None:
    missing = [name for name in required if not env.get(name)]
    if missing:
        raise WorkerEnvError(f"{convention} convention needs {', '.join(missing)} in the container env")


def debezium_properties(env: Mapping[str, str]) -> dict[str, str]:
    missing_required(env, DEBEZIUM_REQUIRED, DEBEZIUM)
    properties = {debezium_property(name): value for name, value in connect_variables(env).items()}
    for name, (prop, default) in DEBEZIUM_SETTINGS.items():
        value = env.get(name) or default
        if value is not None:
            properties[prop] = value
    if env.get("REST_PORT"):
        properties.setdefault("listeners", f"http://{{pod_ip}}:{env['REST_PORT']}")
    return properties


def confluent_properties(env: Mapping[str, str]) -> dict[str, str]:
    missing_required(env, CONFLUENT_REQUIRED, CONFLUENT)
    properties = {confluent_property(name): value for name, value in connect_variables(env).items()}
    if "rest.port" in properties:
        properties.setdefault("listeners", f"http://{{pod_ip}}:{properties.pop('rest.port')}")
    return properties


def bootstrap_hosts(servers: str) -> tuple[str, ...]:
    """Host names of a bootstrap.servers list (IP literals need no name resolution)."""
    hosts = []
    for server in servers.split(","):
        host = server.strip().rsplit(":", 1)[0].strip("[]")
        if host and not re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]+", host):
            hosts.append(host)
    return tuple(dict.fromkeys(hosts))


def pod_listeners(listeners: str, pod_ip: str) -> str:
    """Bind "all interfaces" to the pod IP: a real pod has a network of its own, here pods share one."""
    bound = []
    for listener in listeners.split(","):
        match = WILDCARD_LISTENER.match(listener.strip())
        bound.append(f"{match.group(1)}{pod_ip}{match.group(2)}" if match else listener.strip())
    return ",".join(bound)


def worker_spec(env: Mapping[str, str], pod_ip: str, plugin_path: str) -> WorkerSpec:
    """Worker properties and heap for a resolved container env and the pod's IP."""
    convention = CONFLUENT if env.get("CONNECT_BOOTSTRAP_SERVERS") else DEBEZIUM
    properties = confluent_properties(env) if convention == CONFLUENT else debezium_properties(env)
    properties.setdefault("listeners", f"http://{{pod_ip}}:{DEFAULT_REST_PORT}")
    properties["listeners"] = pod_listeners(properties["listeners"].replace("{pod_ip}", pod_ip), pod_ip)
    properties.setdefault("rest.advertised.host.name", pod_ip)
    properties.setdefault("plugin.path", plugin_path)
    heap = env.get("KAFKA_HEAP_OPTS") or (env.get("HEAP_OPTS") if convention == DEBEZIUM else None)
    return WorkerSpec(convention, properties, heap or DEFAULT_HEAP_OPTS,
                      bootstrap_hosts(properties["bootstrap.servers"]))


# ------------------------------------------------------------- the file format


def escape_property(text: str, is_key: bool) -> str:
    """java.util.Properties escaping, so a value survives load() unchanged."""
    out = []
    for index, char in enumerate(text):
        if char == "\\":
            out.append("\\\\")
        elif char in "\n\r\t\f":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}[char])
        elif char in "=:#!" or (char == " " and (is_key or index == 0)):
            out.append("\\" + char)
        elif ord(char) > 0x7E:
            units = char.encode("utf-16-be")
            out.extend(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2))
        else:
            out.append(char)
    return "".join(out)


def render_properties(properties: Mapping[str, str]) -> str:
    return "".join(f"{escape_property(key, True)}={escape_property(value, False)}\n"
                   for key, value in sorted(properties.items()))
