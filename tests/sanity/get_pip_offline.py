# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for the get-pip.py script that ansible-test downloads to bootstrap its venvs.

ansible-test looks for ~/.ansible/test/cache/get_pip_<version>.py before downloading it from a CI
file server that is not always reachable; `make setup` installs this file there. It bootstraps pip
from the interpreter's bundled wheel and then installs what ansible-test asked for from the
configured package index.
"""
from __future__ import annotations

import ensurepip
import os
import subprocess
import sys


def main(argv: list[str]) -> int:
    args = [arg for arg in argv if arg not in ("--no-setuptools", "--no-wheel")]
    ensurepip.bootstrap()
    # ensurepip points PIP_CONFIG_FILE at os.devnull, which would hide the machine's pip settings.
    os.environ.pop("PIP_CONFIG_FILE", None)
    if not [arg for arg in args if not arg.startswith("-")]:
        return 0
    return subprocess.call([sys.executable, "-m", "pip", "install", *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
