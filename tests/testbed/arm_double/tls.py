# SPDX-License-Identifier: GPL-3.0-or-later
"""The test double's own CA and a server certificate for 127.0.0.1/localhost, made once per state dir with openssl."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    server_cert: Path
    server_key: Path


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


# 198.19.255.1: the host end of the pods' veth, where Connect workers fetch their Entra ID tokens.
SERVER_SANS = "IP:127.0.0.1,DNS:localhost,IP:198.19.255.1"


def ensure_certificates(directory: Path) -> TlsFiles:
    """Create the CA and the server certificate unless both already exist (keeps clients' trust across restarts);
    a server certificate made before its names changed is made again from the same CA."""
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    ca_key = directory / "ca.key"
    sans = directory / "server.sans"
    current = sans.read_text(encoding="utf-8").strip() if sans.exists() else ""
    if all(path.exists() for path in (files.ca_cert, files.server_cert, files.server_key)) and current == SERVER_SANS:
        return files
    if files.ca_cert.exists() and ca_key.exists():
        issue_server_certificate(directory, files, ca_key)
        sans.write_text(SERVER_SANS + "\n", encoding="utf-8")
        return files
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=streamops testbed ARM double CA",
            "-keyout", str(ca_key), "-out", str(files.ca_cert),
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    ca_key.chmod(0o600)
    issue_server_certificate(directory, files, ca_key)
    sans.write_text(SERVER_SANS + "\n", encoding="utf-8")
    return files


def issue_server_certificate(directory: Path, files: TlsFiles, ca_key: Path) -> None:
    csr = directory / "server.csr"
    extensions = directory / "server.ext"
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(files.server_key), "-out", str(csr))
    extensions.write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        f"extendedKeyUsage=serverAuth\nsubjectAltName={SERVER_SANS}\n",
        encoding="utf-8",
    )
    openssl("x509", "-req", "-in", str(csr), "-CA", str(files.ca_cert), "-CAkey", str(ca_key), "-CAcreateserial",
            "-days", "3650", "-sha256", "-extfile", str(extensions), "-out", str(files.server_cert))
    files.server_key.chmod(0o600)
    csr.unlink()
