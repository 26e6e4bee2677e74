# SPDX-License-Identifier: GPL-3.0-or-later
"""The JAAS line the collection builds, read back by Kafka's own JAAS parser (kafka-clients from the testbed build cache)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "output" / "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_connection import (  # noqa: E402
    EVENTHUB_KAFKA_USERNAME,
    plain_jaas_config,
)

READER = r"""
import java.util.Map;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.security.JaasContext;

public class ReadJaas {
    public static void main(String[] args) {
        for (String line : args) {
            JaasContext context = JaasContext.loadClientContext(Map.of("sasl.jaas.config", new Password(line)));
            Map<String, ?> options = context.configurationEntries().get(0).getOptions();
            System.out.print(options.get("username") + "\n" + options.get("password") + "\u0000");
        }
    }
}
"""
PASSWORDS = [
    "Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=kafka-connect;SharedAccessKey=abc+/=",
    'with "double quotes" inside',
    "back\\slash, two \\\\ and a trailing one\\",
    '\\"both\\" at once',
]


def kafka_clients_jar() -> Path:
    cache = Path(os.environ.get("TESTBED_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                 / "streamops-testbed")
    jars = sorted(cache.glob("kafka/*/lib/kafka-clients-*.jar"))
    if not jars or shutil.which("java") is None:
        pytest.skip("needs java and the testbed's Kafka build (make testbed-up builds it once)")
    return jars[-1]


def test_kafka_reads_back_exactly_the_passwords_the_collection_wrote(tmp_path: Path) -> None:
    source = tmp_path / "ReadJaas.java"
    source.write_text(READER, encoding="utf-8")
    lines = [plain_jaas_config(EVENTHUB_KAFKA_USERNAME, password) for password in PASSWORDS]
    classpath = str(kafka_clients_jar().parent / "*")  # kafka-clients with its logging jars
    done = subprocess.run(["java", "-cp", classpath, str(source), *lines], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\0")[:-1] == ["%s\n%s" % (EVENTHUB_KAFKA_USERNAME, password) for password in PASSWORDS]
