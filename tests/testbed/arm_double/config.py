# SPDX-License-Identifier: GPL-3.0-or-later
"""Settings of the test double: CLI flags over environment over the service principal stored in the state dir."""
from __future__ import annotations

import json
import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 17443
DEFAULT_RESOURCE_GROUP = "rg-streamops-testbed"
DEFAULT_LOCATION = "westeurope"
CLOUD_NAME = "TestbedCloud"


@dataclass
class DoubleConfig:
    state_dir: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    subscription_id: str = ""
    tenant: str = ""
    client_id: str = ""
    client_secret: str = ""
    resource_group: str = DEFAULT_RESOURCE_GROUP
    location: str = DEFAULT_LOCATION
    lro_delay: float = 1.0
    latency_ms: int = 0
    token_lifetime: int = 3600
    kafka_credentials: Path | None = None
    client_object_id: str = ""
    connect_client_id: str = ""
    connect_client_secret: str = ""
    connect_object_id: str = ""
    pods_host: str = "198.19.255.1"

    @property
    def double_dir(self) -> Path:
        return self.state_dir / "arm"

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    @property
    def pods_url(self) -> str:
        """The same server as the pods' network namespace reaches it: the host end of their veth (pod_runner.py)."""
        return f"https://{self.pods_host}:{self.port}"

    @property
    def issuer(self) -> str:
        """The tenant's v2.0 issuer, as the OpenID metadata names it and every token's `iss` carries it."""
        return f"{self.base_url}/{self.tenant}/v2.0"

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/{self.tenant}/discovery/v2.0/keys"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/metadata/endpoints?api-version=2022-09-01"

    @property
    def kafka_credentials_file(self) -> Path:
        return self.kafka_credentials or self.state_dir / "kafka-credentials.txt"

    def environment(self, ca_file: Path) -> dict[str, str]:
        """What arm.env holds: the names AWX injects, plus what a client needs to trust and find the double."""
        return {
            "AZURE_SUBSCRIPTION_ID": self.subscription_id,
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_SECRET": self.client_secret,
            "AZURE_TENANT": self.tenant,
            "AZURE_CLOUD_ENVIRONMENT": self.metadata_url,
            "REQUESTS_CA_BUNDLE": str(ca_file),
            "ARM_DOUBLE_URL": self.base_url,
            "ARM_DOUBLE_CA_FILE": str(ca_file),
            "ARM_DOUBLE_RESOURCE_GROUP": self.resource_group,
            "ARM_DOUBLE_LOCATION": self.location,
            "ARM_DOUBLE_KAFKA_CREDENTIALS": str(self.kafka_credentials_file),
            "ARM_DOUBLE_CLIENT_OBJECT_ID": self.client_object_id,
            # Entra ID as the brokers and the pods see it (tests/testbed/arm_double/entra.py).
            "ARM_DOUBLE_ISSUER": self.issuer,
            "ARM_DOUBLE_JWKS_URL": self.jwks_url,
            "ARM_DOUBLE_PODS_URL": self.pods_url,
            # Connect's own app registration: what a platform team hands the workers for Entra ID logins.
            "ARM_DOUBLE_CONNECT_CLIENT_ID": self.connect_client_id,
            "ARM_DOUBLE_CONNECT_CLIENT_SECRET": self.connect_client_secret,
            "ARM_DOUBLE_CONNECT_OBJECT_ID": self.connect_object_id,
        }


def settle_principal(config: DoubleConfig) -> None:
    """Fill unset identifiers from the state dir's principal.json (random the first time) and store them back."""
    path = config.double_dir / "principal.json"
    stored = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    generated = {
        "subscription_id": str(uuid.uuid4()),
        "tenant": str(uuid.uuid4()),
        "client_id": str(uuid.uuid4()),
        "client_secret": secrets.token_urlsafe(30),
        "client_object_id": str(uuid.uuid4()),
        "connect_client_id": str(uuid.uuid4()),
        # Entra's generated secrets hold '~', '.', '_' and '-': the JAAS line and the env files must carry them.
        "connect_client_secret": secrets.token_urlsafe(30).replace("-", "~", 2),
        "connect_object_id": str(uuid.uuid4()),
    }
    for field, fresh in generated.items():
        if not getattr(config, field):
            setattr(config, field, stored.get(field) or fresh)
    config.double_dir.mkdir(parents=True, exist_ok=True)
    values = {field: getattr(config, field) for field in generated}
    write_private_file(path, json.dumps(values, indent=2) + "\n")


def write_private_file(path: Path, text: str) -> None:
    """Atomic replace, readable by the owner only (the files hold secrets)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)
