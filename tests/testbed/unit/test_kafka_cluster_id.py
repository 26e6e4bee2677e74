# SPDX-License-Identifier: GPL-3.0-or-later
"""The broker's cluster id as tests/testbed/kafka.py makes it for `kafka-storage format -t`."""
from __future__ import annotations

import base64
import sys
import uuid
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import kafka  # noqa: E402  pylint: disable=wrong-import-position


def test_a_cluster_id_is_16_bytes_in_unpadded_url_safe_base64() -> None:
    cluster_id = kafka.new_cluster_id()
    assert len(cluster_id) == 22 and "=" not in cluster_id
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_a_cluster_id_never_starts_with_a_dash_the_storage_tool_would_read_as_an_option() -> None:
    # uuid bytes whose base64 starts with '-' (0xf8 -> '-'), then ordinary ones: the first is drawn again
    dash = uuid.UUID(bytes=b"\xf8" + bytes(15))
    plain = uuid.UUID(bytes=bytes(16))
    assert base64.urlsafe_b64encode(dash.bytes).decode().startswith("-")
    with mock.patch.object(kafka.uuid, "uuid4", side_effect=[dash, dash, plain]):
        assert kafka.new_cluster_id() == base64.urlsafe_b64encode(plain.bytes).decode().rstrip("=")
