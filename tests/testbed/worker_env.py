# SPDX-License-Identifier: GPL-3.0-or-later
"""From a pod to a Kafka Connect worker's settings, as a kubelet and a Connect image would do it.

Pure functions over the pod as the API serves it (camelCase JSON) and the ConfigMaps and Secrets
of its namespace, so they are unit-tested without a cluster (tests/testbed/unit/).

1. `resolve_env` does what the kubelet does for one container: `envFrom` sources first, in
   order (optional prefix), then `env` entries in order (`value` with `$(VAR)` expansion, or
   `valueFrom` configMapKeyRef / secretKeyRef / fieldRef). A missing source that is not
   `optional` is an error, as it keeps a real container from starting.
2. `worker_spec` does what the container image's entrypoint does with that environment. Two
   image conventions exist; `CONNECT_BOOTSTRAP_SERVERS` in the env selects Confluent's, else
   Debezium's is used:
   - Debezium (`quay.io/debezium/connect:3.6`): `debezium_entrypoint` follows the image's
     docker-entrypoint.sh step by step: defaults (`: ${REST_PORT:=8083}`, ADVERTISED_PORT 8083,
     ADVERTISED_HOST_NAME and REST_HOST_NAME the pod IP, GROUP_ID 1, ...), the `export CONNECT_X=$Y`
     lines that overwrite the pod's own CONNECT_REST_ADVERTISED_PORT and friends, then every
     CONNECT_X_Y becomes x.y (lower case, `_` -> `.`) edited into Kafka's stock
     connect-distributed.properties with the script's grep/sed/echo (so '@' and '&' behave as
     there), and the lines it prints ("--- Setting property from ...", hiding only the variables
     of SENSITIVE_PROPERTIES). The runner writes that output to the worker's log, as `kubectl logs`
     shows it. Connect 4.x no longer reads rest.port/rest.host.name: REST_PORT moves nothing.
   - Confluent (`cp-kafka-connect`): CONNECT_X becomes x with `___` -> `-`, `__` -> `_`, `_` -> `.`
     (CONNECT_REST_ADVERTISED_HOST_NAME -> rest.advertised.host.name).
   In both, KAFKA_HEAP_OPTS (Debezium: HEAP_OPTS) sets the heap; the testbed's default is smaller
   than Kafka's 2 GB. KAFKA_OPTS are more JVM options, as kafka-run-class.sh passes them (the
   OAuth allowed-URLs system property of an Entra ID login, for one).
3. The testbed then fills what the pod's network gives: `listeners=http://<pod IP>:<port>` and
   `rest.advertised.host.name=<pod IP>` unless the env set them, and `plugin.path` (the testbed's
   plugin folders, FileStream and Debezium PostgreSQL; for Debezium the image's CONNECT_PLUGIN_PATH)
   unless the env set it. A listener on all
   interfaces (`http://:8083`, `http://0.0.0.0:8083`) is bound to the pod IP instead: in a real pod
   that is the same thing, here every pod shares one network namespace.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

DEBEZIUM = "debezium"
CONFLUENT = "confluent"
DEFAULT_HEAP_OPTS = "-Xms128m -Xmx384m"
DEFAULT_REST_PORT = "8083"
JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"

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
    properties_text: str = ""  # worker.properties as the image's start script leaves it
    startup_output: tuple[str, ...] = field(default=())  # what the start script prints before Connect starts
    kafka_opts: str = ""  # KAFKA_OPTS: JVM options beyond the heap


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


# debezium/connect's start script (connect-base/3.6/docker-entrypoint.sh in debezium/container-images).
# Its config file is Kafka's config/connect-distributed.properties; only the lines the script's
# `grep -Eq "(^|^#)$prop_name="` can find matter, so the comments are left out.
KAFKA_CONNECT_DISTRIBUTED = """\
bootstrap.servers=localhost:9092
group.id=connect-cluster
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=true
value.converter.schemas.enable=true
offset.storage.topic=connect-offsets
offset.storage.replication.factor=1
#offset.storage.partitions=25
config.storage.topic=connect-configs
config.storage.replication.factor=1
status.storage.topic=connect-status
status.storage.replication.factor=1
#status.storage.partitions=5
offset.flush.interval.ms=10000
#listeners=HTTP://:8083
#rest.host.name=
#rest.port=8083
#rest.advertised.host.name=
#rest.advertised.port=
#rest.advertised.listener=
#plugin.path=
"""
KAFKA_DEFAULT_LISTENERS = "http://:8083"  # Connect 4.x; rest.host.name and rest.port no longer exist
DEFAULT_SENSITIVE_PROPERTIES = ",".join((
    "CONNECT_SASL_JAAS_CONFIG", "CONNECT_CONSUMER_SASL_JAAS_CONFIG", "CONNECT_PRODUCER_SASL_JAAS_CONFIG",
    "CONNECT_SSL_KEYSTORE_PASSWORD", "CONNECT_PRODUCER_SSL_KEYSTORE_PASSWORD", "CONNECT_SSL_TRUSTSTORE_PASSWORD",
    "CONNECT_PRODUCER_SSL_TRUSTSTORE_PASSWORD", "CONNECT_SSL_KEY_PASSWORD", "CONNECT_PRODUCER_SSL_KEY_PASSWORD",
    "CONNECT_CONSUMER_SSL_TRUSTSTORE_PASSWORD", "CONNECT_CONSUMER_SSL_KEYSTORE_PASSWORD",
    "CONNECT_CONSUMER_SSL_KEY_PASSWORD"))
# `: ${NAME:=default}` lines, in the script's order (HOST_NAME-based ones are filled in by the caller).
DEBEZIUM_DEFAULTS = (("REST_PORT", "8083"), ("ADVERTISED_PORT", "8083"), ("GROUP_ID", "1"),
                     ("OFFSET_FLUSH_INTERVAL_MS", "60000"), ("OFFSET_FLUSH_TIMEOUT_MS", "5000"),
                     ("SHUTDOWN_TIMEOUT", "10000"), ("KEY_CONVERTER", JSON_CONVERTER),
                     ("VALUE_CONVERTER", JSON_CONVERTER))
# `export CONNECT_X=$Y`: these overwrite whatever CONNECT_X the pod set (CONNECT_REST_ADVERTISED_PORT included).
DEBEZIUM_EXPORTS = (("CONNECT_REST_ADVERTISED_PORT", "ADVERTISED_PORT"),
                    ("CONNECT_REST_ADVERTISED_HOST_NAME", "ADVERTISED_HOST_NAME"),
                    ("CONNECT_REST_PORT", "REST_PORT"), ("CONNECT_REST_HOST_NAME", "REST_HOST_NAME"),
                    ("CONNECT_BOOTSTRAP_SERVERS", "BOOTSTRAP_SERVERS"), ("CONNECT_GROUP_ID", "GROUP_ID"),
                    ("CONNECT_CONFIG_STORAGE_TOPIC", "CONFIG_STORAGE_TOPIC"),
                    ("CONNECT_OFFSET_STORAGE_TOPIC", "OFFSET_STORAGE_TOPIC"))
DEBEZIUM_EXPORTS_LATE = (("CONNECT_KEY_CONVERTER", "KEY_CONVERTER"), ("CONNECT_VALUE_CONVERTER", "VALUE_CONVERTER"),
                         ("CONNECT_TASK_SHUTDOWN_GRACEFUL_TIMEOUT_MS", "SHUTDOWN_TIMEOUT"),
                         ("CONNECT_OFFSET_FLUSH_INTERVAL_MS", "OFFSET_FLUSH_INTERVAL_MS"),
                         ("CONNECT_OFFSET_FLUSH_TIMEOUT_MS", "OFFSET_FLUSH_TIMEOUT_MS"))
DEBEZIUM_UNSET = ("HOST_NAME", "REST_PORT", "REST_HOST_NAME", "ADVERTISED_PORT", "ADVERTISED_HOST_NAME", "GROUP_ID",
                  "OFFSET_FLUSH_INTERVAL_MS", "OFFSET_FLUSH_TIMEOUT_MS", "SHUTDOWN_TIMEOUT", "KEY_CONVERTER",
                  "VALUE_CONVERTER", "HEAP_OPTS", "MD5HASH", "SCALA_VERSION")
DEBEZIUM_START_CHECKS = (
    ("CONNECT_BOOTSTRAP_SERVERS", "The BOOTSTRAP_SERVERS variable must be set, or the container must be linked to "
                                  "one that runs Kafka."),
    ("CONNECT_GROUP_ID", "The GROUP_ID must be set to an ID that uniquely identifies the Kafka Connect cluster these "
                         "workers belong to."),
    ("CONNECT_CONFIG_STORAGE_TOPIC", "The CONFIG_STORAGE_TOPIC variable must be set to the name of the topic where "
                                     "connector configurations will be stored."),
    ("CONNECT_OFFSET_STORAGE_TOPIC", "The OFFSET_STORAGE_TOPIC variable must be set to the name of the topic where "
                                     "connector offsets will be stored."),
)
TESTBED_SECTION = ("# Added by the testbed's pod runner: a real pod has a network of its own, here pods share one,\n"
                   "# so the listener Connect would open on every interface is opened on the pod IP only.\n")


@dataclass(frozen=True)
class EntrypointResult:
    """What debezium/connect's docker-entrypoint.sh leaves behind before it execs Connect."""

    properties_text: str
    output: tuple[str, ...]
    env: dict[str, str]


def sed_replacement(template: str, match: re.Match[str], variable: str) -> str:
    """The replacement text of GNU sed's `s`: `&` is the match, `\\N` a group, `\\n` a newline."""
    out, index = [], 0
    while index < len(template):
        char = template[index]
        if char == "&":
            out.append(match.group(0))
        elif char == "\\" and index + 1 < len(template):
            index += 1
            nxt = template[index]
            if nxt.isdigit():
                if int(nxt) > 3:
                    raise WorkerEnvError(f"the image's start script fails on {variable}: sed reports an invalid "
                                         f"reference \\{nxt} on the `s` command's right side")
                out.append(match.group(int(nxt)) or "")
            else:
                out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
        else:
            out.append(char)
        index += 1
    return "".join(out)


def set_file_property(text: str, prop_name: str, prop_value: str, variable: str) -> str:
    """The script's edit of connect-distributed.properties for one CONNECT_ variable."""
    pattern = re.compile(f"(^|^#)({prop_name})=(.*)")
    lines = text.split("\n")
    if not any(re.search(f"(^|^#){prop_name}=", line) for line in lines):
        return text + f"{prop_name}={prop_value}\n"  # echo: written as is, no escaping
    if "@" in prop_value:
        # The script's `sed -r -i "s@...@\2=${prop_value}@g"` breaks on an `@`, and `set -e` ends the container.
        raise WorkerEnvError(f"the image's start script fails on {variable}: the value holds '@', which breaks the "
                             f"sed command that edits {prop_name} (\"no config names or values may contain an '@'\")")
    edited = [pattern.sub(lambda m: sed_replacement(f"\\2={prop_value}", m, variable), line) for line in lines]
    return "\n".join(edited)


def env_lines(env: Mapping[str, str]) -> list[str]:
    """`env | while read -r VAR`: one line per line of output, leading and trailing blanks stripped."""
    return [line.strip(" \t") for name, value in env.items() for line in f"{name}={value}".split("\n")]


def debezium_entrypoint(container_env: Mapping[str, str], pod_ip: str) -> EntrypointResult:
    """debezium/connect:3.6's docker-entrypoint.sh `start`, step by step, over the container's env.

    HOST_NAME, which the script reads from `ip addr`, is the pod IP. The script's APICURIO, JMX, JFR,
    Jolokia and log4j file edits do not change worker properties and are left out, except that
    CONNECT_LOG4J_* variables (other than CONNECT_LOG4J_LOGGERS) stay set: the script unsets them in a
    pipeline's subshell, so they also become worker properties.
    """
    env = dict(container_env)
    out: list[str] = []
    sensitive = env.get("SENSITIVE_PROPERTIES") or DEFAULT_SENSITIVE_PROPERTIES
    if not env.get("BOOTSTRAP_SERVERS"):
        linked = [re.sub(r".*tcp://", "", line) for line in env_lines(env) if re.search(".*PORT_9092_TCP=", line)]
        env["BOOTSTRAP_SERVERS"] = ",".join(v for i, v in enumerate(linked) if i == 0 or linked[i - 1] != v)
    if not env.get("BOOTSTRAP_SERVERS"):
        env["BOOTSTRAP_SERVERS"] = "0.0.0.0:9092"
    out.append(f"Using BOOTSTRAP_SERVERS={env['BOOTSTRAP_SERVERS']}")
    host_name = env.get("HOST_NAME") or pod_ip
    for name, default in (("REST_PORT", "8083"), ("REST_HOST_NAME", host_name), ("ADVERTISED_PORT", "8083"),
                          ("ADVERTISED_HOST_NAME", host_name), *DEBEZIUM_DEFAULTS[2:]):
        if not env.get(name):
            env[name] = default
    if env.get("APICURIO_REGISTRY"):
        env["KEY_CONVERTER"] = env["VALUE_CONVERTER"] = "io.apicurio.registry.utils.converter.AvroConverter"
        for side in ("KEY", "VALUE"):
            env[f"CONNECT_{side}_CONVERTER_APICURIO_REGISTRY_URL"] = env["APICURIO_REGISTRY"]
            for option in ("AUTO_REGISTER", "FIND_LATEST"):
                env[f"CONNECT_{side}_CONVERTER_APICURIO_REGISTRY_{option}"] = "true"
    for target, source in DEBEZIUM_EXPORTS:
        env[target] = env.get(source, "")
    if env.get("STATUS_STORAGE_TOPIC"):
        env["CONNECT_STATUS_STORAGE_TOPIC"] = env["STATUS_STORAGE_TOPIC"]
    for target, source in DEBEZIUM_EXPORTS_LATE:
        env[target] = env.get(source, "")
    if env.get("HEAP_OPTS"):
        env["KAFKA_HEAP_OPTS"] = env["HEAP_OPTS"]
    for name in DEBEZIUM_UNSET:
        env.pop(name, None)
    if "CONNECT_PLUGIN_PATH" in env and not env["CONNECT_PLUGIN_PATH"]:
        env["CONNECT_PLUGIN_PATH"] = "/kafka/connect"  # $KAFKA_CONNECT_PLUGINS_DIR
    out.append(f"Plugins are loaded from {env.get('CONNECT_PLUGIN_PATH', '/kafka/connect')}")
    for name, message in DEBEZIUM_START_CHECKS:
        if not env.get(name):
            raise WorkerEnvError(f"the image's start script exits 1: {message}")
    if not env.get("CONNECT_STATUS_STORAGE_TOPIC"):
        out += ["WARNING: it is recommended to specify the STATUS_STORAGE_TOPIC variable for defining the name of the "
                "topic where connector statuses will be stored.",
                "This topic may have multiple partitions, be highly replicated (e.g., 3x or more) and should be "
                "configured for compaction.",
                "As no value is given, the default of 'connect-status' will be used."]
    out.append("Using the following environment variables:")
    shown = [("GROUP_ID", "CONNECT_GROUP_ID"), ("CONFIG_STORAGE_TOPIC", "CONNECT_CONFIG_STORAGE_TOPIC"),
             ("OFFSET_STORAGE_TOPIC", "CONNECT_OFFSET_STORAGE_TOPIC")]
    if env.get("CONNECT_STATUS_STORAGE_TOPIC"):
        shown.append(("STATUS_STORAGE_TOPIC", "CONNECT_STATUS_STORAGE_TOPIC"))
    shown += [("BOOTSTRAP_SERVERS", "CONNECT_BOOTSTRAP_SERVERS"), ("REST_HOST_NAME", "CONNECT_REST_HOST_NAME"),
              ("REST_PORT", "CONNECT_REST_PORT"), ("ADVERTISED_HOST_NAME", "CONNECT_REST_ADVERTISED_HOST_NAME"),
              ("ADVERTISED_PORT", "CONNECT_REST_ADVERTISED_PORT"), ("KEY_CONVERTER", "CONNECT_KEY_CONVERTER"),
              ("VALUE_CONVERTER", "CONNECT_VALUE_CONVERTER"),
              ("OFFSET_FLUSH_INTERVAL_MS", "CONNECT_OFFSET_FLUSH_INTERVAL_MS"),
              ("OFFSET_FLUSH_TIMEOUT_MS", "CONNECT_OFFSET_FLUSH_TIMEOUT_MS"),
              ("SHUTDOWN_TIMEOUT", "CONNECT_TASK_SHUTDOWN_GRACEFUL_TIMEOUT_MS")]
    out += [f"      {label}={env.get(name, '')}" for label, name in shown]
    env.pop("CONNECT_LOG4J_LOGGERS", None)
    for line in env_lines(env):
        if line.startswith("CONNECT_LOG4J"):
            variable = re.sub("([^=]*)=.*", r"\1", line, count=1)
            prop_name = re.sub("^CONNECT_([^=]*)=.*", r"\1", line).lower().replace("_", ".")
            prop_value = re.sub("^CONNECT_[^=]*=(.*)", r"\1", line)
            shown_value = "[hidden]" if variable in sensitive else prop_value
            out.append(f"--- Setting logging property from {variable}: {prop_name}={shown_value}")
    text = KAFKA_CONNECT_DISTRIBUTED
    for line in env_lines(env):
        variable = re.sub("([^=]*)=.*", r"\1", line, count=1)
        if not variable.startswith("CONNECT_"):
            continue
        prop_name = re.sub("^CONNECT_([^=]*)=.*", r"\1", line).lower().replace("_", ".")
        prop_value = re.sub("^CONNECT_[^=]*=(.*)", r"\1", line)
        text = set_file_property(text, prop_name, prop_value, variable)
        # `[[ "$SENSITIVE_PROPERTIES" = *"$env_var"* ]]`: a substring test, so only the listed names are hidden.
        shown_value = "[hidden]" if variable in sensitive else prop_value
        out.append(f"--- Setting property from {variable}: {prop_name}={shown_value}")
    return EntrypointResult(text, tuple(out), env)


def load_properties(text: str) -> dict[str, str]:
    """java.util.Properties.load: comments, continuation lines, `=`/`:`/blank separators and escapes."""
    result: dict[str, str] = {}
    logical: list[str] = []
    pending = ""
    for raw in text.split("\n"):
        line = (pending + raw.lstrip(" \t\f")) if pending else raw.lstrip(" \t\f")
        if not pending and (not line or line[0] in "#!"):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            pending = line[:-1]
            continue
        pending = ""
        logical.append(line)
    if pending:
        logical.append(pending)
    for line in logical:
        key, value, index, in_key, separated = [], [], 0, True, False
        while index < len(line):
            char = line[index]
            if char == "\\" and index + 1 < len(line):
                nxt = line[index + 1]
                if nxt == "u" and re.fullmatch("[0-9a-fA-F]{4}", line[index + 2:index + 6] or ""):
                    decoded, index = chr(int(line[index + 2:index + 6], 16)), index + 6
                else:
                    decoded, index = {"n": "\n", "r": "\r", "t": "\t", "f": "\f"}.get(nxt, nxt), index + 2
                (key if in_key else value).append(decoded)
                continue
            if in_key and char in "=: \t\f":
                in_key = False
                rest = line[index:].lstrip(" \t\f")
                if rest[:1] in ("=", ":") and not separated:
                    rest = rest[1:].lstrip(" \t\f")
                separated = True
                line, index = rest, 0
                continue
            (key if in_key else value).append(char)
            index += 1
        result["".join(key)] = "".join(value).encode("utf-16", "surrogatepass").decode("utf-16")
    return result


def confluent_property(name: str) -> str:
    """cp-kafka-connect's env_to_props: `___` -> `-`, `__` -> `_`, `_` -> `.`, lower case."""
    body = name[len("CONNECT_"):].lower()
    return body.replace("___", "\0").replace("__", "\1").replace("_", ".").replace("\0", "-").replace("\1", "_")


def connect_variables(env: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in env.items()
            if name.startswith("CONNECT_") and not name.startswith("CONNECT_LOG4J_")}


def missing_required(env: Mapping[str, str], required: tuple[str, ...], convention: str) -> None:
    missing = [name for name in required if not env.get(name)]
    if missing:
        raise WorkerEnvError(f"{convention} convention needs {', '.join(missing)} in the container env")


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
    """Worker properties, their file, the image's start-up output and the heap for a resolved container env."""
    if env.get("CONNECT_BOOTSTRAP_SERVERS"):
        properties = confluent_properties(env)
        properties.setdefault("listeners", f"http://{{pod_ip}}:{DEFAULT_REST_PORT}")
        properties["listeners"] = pod_listeners(properties["listeners"].replace("{pod_ip}", pod_ip), pod_ip)
        properties.setdefault("rest.advertised.host.name", pod_ip)
        properties.setdefault("plugin.path", plugin_path)
        return WorkerSpec(CONFLUENT, properties, env.get("KAFKA_HEAP_OPTS") or DEFAULT_HEAP_OPTS,
                          bootstrap_hosts(properties["bootstrap.servers"]), render_properties(properties),
                          kafka_opts=env.get("KAFKA_OPTS", ""))
    # The image's ENV lines come first; the container's env overrides them, as the runtime merges them.
    start = debezium_entrypoint({"CONNECT_PLUGIN_PATH": plugin_path, **env}, pod_ip)
    text = start.properties_text
    parsed = load_properties(text)
    listeners = parsed.get("listeners") or KAFKA_DEFAULT_LISTENERS
    bound = pod_listeners(listeners, pod_ip)
    if parsed.get("listeners") != bound:
        text += TESTBED_SECTION + f"listeners={escape_property(bound, False)}\n"
        parsed["listeners"] = bound
    return WorkerSpec(DEBEZIUM, parsed, start.env.get("KAFKA_HEAP_OPTS") or DEFAULT_HEAP_OPTS,
                      bootstrap_hosts(parsed.get("bootstrap.servers", "")), text, start.output,
                      kafka_opts=start.env.get("KAFKA_OPTS", ""))


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


# ---------------------------------------------------------------- the volumes


@dataclass(frozen=True)
class Mount:
    """One volumeMount of the container, with the files its volume holds (None: an empty, writable dir)."""

    volume: str
    mount_path: str
    read_only: bool
    sub_path: str
    files: dict[str, tuple[str, int]] | None


def relative_path(path: str, where: str) -> str:
    parts = path.split("/")
    if not path or path.startswith("/") or ".." in parts:
        raise WorkerEnvError(f"{where}: path {path!r} must be relative and may not contain '..'")
    return path


def key_files(volume: str, kind: str, name: str, source: Mapping[str, Any], values: Mapping[str, str] | None,
              default_mode: int) -> dict[str, tuple[str, int]]:
    """The files the kubelet writes for a Secret or ConfigMap: one per key, or the listed `items` only."""
    optional = bool(source.get("optional"))
    if values is None:
        if optional:
            return {}
        raise WorkerEnvError(f"MountVolume.SetUp failed for volume {volume!r}: {kind} {name!r} not found")
    items = source.get("items")
    if not items:
        return {key: (value, default_mode) for key, value in values.items()}
    files = {}
    for item in items:
        if item.get("key") not in values:
            if optional:
                continue
            raise WorkerEnvError(f"MountVolume.SetUp failed for volume {volume!r}: key {item.get('key')!r} "
                                 f"is not in {kind} {name!r}")
        path = relative_path(item.get("path") or "", f"volume {volume!r}")
        files[path] = (values[item["key"]], int(item.get("mode") or default_mode))
    return files


TokenSource = Callable[[int, "str | None"], str]  # (expirationSeconds, audience) -> a service account token


def downward_files(pod: Mapping[str, Any], volume: str, items: list[Mapping[str, Any]], mode: int
                   ) -> dict[str, tuple[str, int]]:
    files = {}
    for item in items:
        if "fieldRef" not in item:
            raise WorkerEnvError(f"volume {volume!r}: downwardAPI item {sorted(item)} is not supported by the testbed")
        files[relative_path(item.get("path") or "", f"volume {volume!r}")] = (
            field_value(pod, item["fieldRef"]["fieldPath"]), int(item.get("mode") or mode))
    return files


def volume_files(volume: Mapping[str, Any], configmaps: Mapping[str, Mapping[str, str]],
                 secrets: Mapping[str, Mapping[str, str]], pod: Mapping[str, Any] | None = None,
                 token: TokenSource | None = None) -> dict[str, tuple[str, int]] | None:
    name = volume.get("name", "")
    if volume.get("secret") is not None:
        source = volume["secret"]
        return key_files(name, "secret", source.get("secretName", ""), source, secrets.get(source.get("secretName")),
                         int(source.get("defaultMode") or 0o644))
    if volume.get("configMap") is not None:
        source = volume["configMap"]
        return key_files(name, "configmap", source.get("name", ""), source, configmaps.get(source.get("name")),
                         int(source.get("defaultMode") or 0o644))
    if volume.get("projected") is not None:
        mode = int(volume["projected"].get("defaultMode") or 0o644)
        files: dict[str, tuple[str, int]] = {}
        for projection in volume["projected"].get("sources") or []:
            if projection.get("secret") is not None:
                ref = projection["secret"]
                files.update(key_files(name, "secret", ref.get("name", ""), ref, secrets.get(ref.get("name")), mode))
            elif projection.get("configMap") is not None:
                ref = projection["configMap"]
                files.update(key_files(name, "configmap", ref.get("name", ""), ref, configmaps.get(ref.get("name")),
                                       mode))
            elif projection.get("downwardAPI") is not None:
                files.update(downward_files(pod or {}, name, projection["downwardAPI"].get("items") or [], mode))
            elif projection.get("serviceAccountToken") is not None and token is not None:
                # The kube-api-access-* volume the ServiceAccount admission plugin adds: a real, bound token.
                ref = projection["serviceAccountToken"]
                path = relative_path(ref.get("path") or "", f"volume {name!r}")
                files[path] = (token(int(ref.get("expirationSeconds") or 3607), ref.get("audience")), mode)
            else:
                raise WorkerEnvError(f"volume {name!r}: projected source {sorted(projection)} is not supported by the "
                                     "testbed (secret, configMap, downwardAPI and serviceAccountToken are)")
        return files
    if volume.get("downwardAPI") is not None:
        return downward_files(pod or {}, name, volume["downwardAPI"].get("items") or [],
                              int(volume["downwardAPI"].get("defaultMode") or 0o644))
    if volume.get("emptyDir") is not None:
        return None
    kinds = sorted(key for key in volume if key != "name")
    raise WorkerEnvError(f"volume {name!r} of kind {kinds} is not supported by the testbed "
                         "(secret, configMap, projected and emptyDir are)")


def container_mounts(pod: Mapping[str, Any], container: Mapping[str, Any],
                     configmaps: Mapping[str, Mapping[str, str]],
                     secrets: Mapping[str, Mapping[str, str]], token: TokenSource | None = None) -> list[Mount]:
    """The container's volumeMounts with their contents, as the kubelet sets them up before the container starts."""
    volumes = {volume.get("name"): volume for volume in (pod.get("spec") or {}).get("volumes") or []}
    mounts = []
    for entry in container.get("volumeMounts") or []:
        name, path = entry.get("name"), entry.get("mountPath") or ""
        if name not in volumes:
            raise WorkerEnvError(f"volumeMount {path!r} names volume {name!r}, which the pod does not have")
        if not path.startswith("/") or ".." in path.split("/"):
            raise WorkerEnvError(f"volumeMount of {name!r}: mountPath {path!r} must be absolute without '..'")
        files = volume_files(volumes[name], configmaps, secrets, pod, token)
        sub_path = relative_path(entry["subPath"], f"volumeMount {path!r}") if entry.get("subPath") else ""
        # Secret, ConfigMap and projected volumes are always mounted read-only by the kubelet.
        read_only = bool(entry.get("readOnly")) or files is not None
        mounts.append(Mount(name, path.rstrip("/") or "/", read_only, sub_path, files))
    return mounts
