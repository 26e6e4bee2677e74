# SPDX-License-Identifier: GPL-3.0-or-later
"""Suite-wide pytest settings.

Tests that need the local testbed skip when it is not running, so `make test-fast` stays usable
on its own. `make test` sets TESTBED_REQUIRED=1: there a skipped test fails the run, so a testbed
that did not come up can never pass as green.
"""
from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "testbed: needs the full local testbed (make testbed-up)")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("TESTBED_REQUIRED") != "1" or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"TESTBED_REQUIRED=1 but {len(skipped)} test(s) were skipped: failing the run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
