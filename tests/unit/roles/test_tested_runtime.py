# SPDX-License-Identifier: GPL-3.0-or-later
"""What is tested is what ships: the role's default image, its Debezium and Kafka, and the testbed agree.

tests/testbed/versions.json is the one mapping (image tag -> Debezium -> Kafka); the role's defaults, its
argument spec, the example inventory, the docs and the testbed's poms and scripts must all say the same.
"""
from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
TESTBED = REPO / "tests" / "testbed"
VERSIONS = json.loads((TESTBED / "versions.json").read_text(encoding="utf-8"))
POM = "{http://maven.apache.org/POM/4.0.0}"


def yaml_file(*parts: str) -> dict:
    return yaml.safe_load((REPO.joinpath(*parts)).read_text(encoding="utf-8"))


def spec_default(name: str):
    return yaml_file("roles", "kafka_connect", "meta", "argument_specs.yml")["argument_specs"]["main"]["options"][name]["default"]


def table_default(path: Path, name: str) -> str:
    row = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("| `%s` |" % name)]
    assert len(row) == 1, "%s has no single variable row for %s" % (path.relative_to(REPO), name)
    return row[0].split("|")[3].strip().strip("`")


def pom_property(pom: str, name: str) -> str:
    root = ET.parse(str(TESTBED / "maven" / pom / "pom.xml")).getroot()
    return root.find("%sproperties/%s%s" % (POM, POM, name)).text


def pom_dependency_versions(pom: str, group: str) -> dict:
    root = ET.parse(str(TESTBED / "maven" / pom / "pom.xml")).getroot()
    properties = {child.tag.replace(POM, ""): child.text for child in root.find(POM + "properties") or []}
    versions = {}
    for dependency in root.iter(POM + "dependency"):
        if dependency.find(POM + "groupId").text == group:
            version = dependency.find(POM + "version").text
            versions[dependency.find(POM + "artifactId").text] = re.sub(
                r"\$\{([^}]+)\}", lambda m: properties[m.group(1)], version)
    return versions


def test_the_mapping_reads_image_tag_to_debezium_to_kafka():
    image = VERSIONS["image"]
    assert image.startswith("quay.io/debezium/connect:")
    # debezium/container-images tags a release's images with the Debezium version itself
    assert image.rsplit(":", 1)[1] == VERSIONS["debezium"]
    for key in ("worker_kafka", "broker_kafka"):
        assert re.fullmatch(r"\d+\.\d+\.\d+", VERSIONS[key]), key


@pytest.mark.parametrize("where, value", [
    ("roles/kafka_connect/defaults/main.yml", lambda: yaml_file("roles", "kafka_connect", "defaults", "main.yml")["kafka_connect_image"]),
    ("argument_specs default", lambda: spec_default("kafka_connect_image")),
    ("inventories/example", lambda: yaml_file("inventories", "example", "group_vars", "all", "kafka_connect.yml")["kafka_connect_image"]),
    ("role README", lambda: table_default(REPO / "roles" / "kafka_connect" / "README.md", "kafka_connect_image")),
])
def test_the_default_image_is_the_tested_one_everywhere(where, value):
    assert value() == VERSIONS["image"], where


@pytest.mark.parametrize("where, value", [
    ("roles/kafka_connect/defaults/main.yml", lambda: yaml_file("roles", "kafka_connect", "defaults", "main.yml")["kafka_connect_kafka_version"]),
    ("argument_specs default", lambda: spec_default("kafka_connect_kafka_version")),
    ("inventories/example", lambda: yaml_file("inventories", "example", "group_vars", "all", "kafka_connect.yml")["kafka_connect_kafka_version"]),
    ("role README", lambda: table_default(REPO / "roles" / "kafka_connect" / "README.md", "kafka_connect_kafka_version")),
    ("worker pom kafka.version", lambda: pom_property("worker", "kafka.version")),
])
def test_the_default_kafka_version_is_the_images_and_the_testbed_workers(where, value):
    assert value() == VERSIONS["worker_kafka"], where


def test_the_worker_runs_the_images_kafka_for_every_connect_jar():
    versions = pom_dependency_versions("worker", "org.apache.kafka")
    assert sorted(versions) == ["connect-file", "connect-json", "connect-runtime"]
    assert set(versions.values()) == {VERSIONS["worker_kafka"]}


def test_the_broker_and_the_debezium_plugin_follow_the_mapping():
    assert pom_property("broker", "kafka.version") == VERSIONS["broker_kafka"]
    assert set(pom_dependency_versions("debezium", "io.debezium").values()) == {VERSIONS["debezium"]}


def test_the_testbed_scripts_read_the_same_versions():
    sys.path.insert(0, str(TESTBED))
    try:
        import kafka  # pylint: disable=import-outside-toplevel
        import pod_runner  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.remove(str(TESTBED))
    assert kafka.KAFKA_VERSION == VERSIONS["broker_kafka"]
    assert kafka.WORKER_KAFKA_VERSION == VERSIONS["worker_kafka"]
    assert kafka.CONNECT_FILE_JAR == "connect-file-%s.jar" % VERSIONS["worker_kafka"]
    assert pod_runner.DEBEZIUM_VERSION == VERSIONS["debezium"]


@pytest.mark.parametrize("doc", ["roles/kafka_connect/README.md", "tests/testbed/README.md"])
def test_the_docs_state_the_mapping(doc):
    text = (REPO / doc).read_text(encoding="utf-8")
    assert VERSIONS["image"] in text
    assert re.search(r"Debezium %s on Kafka %s" % (re.escape(VERSIONS["debezium"]), re.escape(VERSIONS["worker_kafka"])),
                     text) or ("| `%s` | %s | %s |" % (VERSIONS["image"], VERSIONS["debezium"], VERSIONS["worker_kafka"])) in text


def test_no_doc_or_default_names_another_debezium_connect_release():
    """A stale tag (quay.io/debezium/connect:X.Y.Z.Final) anywhere the collection ships is drift."""
    stale = []
    for path in [*REPO.glob("roles/*/README.md"), *REPO.glob("roles/*/defaults/*.yml"), *REPO.glob("docs/*.md"),
                 REPO / "README.md", *REPO.glob("inventories/*/group_vars/all/*.yml"),
                 *REPO.glob("roles/*/meta/argument_specs.yml")]:
        for tag in re.findall(r"quay\.io/debezium/connect:(\d+\.\d+\.\d+\.\w+)", path.read_text(encoding="utf-8")):
            if tag != VERSIONS["debezium"]:
                stale.append("%s: %s" % (path.relative_to(REPO), tag))
    assert stale == []
