# SPDX-License-Identifier: GPL-3.0-or-later
"""Microsoft Entra ID as the test double plays it: RS256-signed access tokens, their JWKS, and the app registrations.

- One RSA key signs every token. It is made on the double's first start and kept in the state dir
  (`arm/signing-key.pem`), so a restarted double still accepts the tokens it issued and brokers that
  cached its JWKS keep working; `kid` is the key's RFC 7638 thumbprint, as in Entra's JWKS.
- Claims as Entra's v2.0 app-only tokens carry them: `iss` the tenant's v2.0 issuer (the OpenID
  metadata's `issuer`), `aud` the scope's resource (`https://<ns>.servicebus.windows.net` for a
  Kafka client's `https://<ns>.servicebus.windows.net/.default`, `https://management.azure.com` for
  ARM), `iat`/`nbf`/`exp`, `tid`, `oid` and `sub` (the service principal's object id), `azp`/`appid`
  (the client id), `ver` 2.0.
- App registrations: the operator (the principal of arm.env, which runs the playbooks) and Connect's
  own (`connect`, for the workers), each with a client id, a secret and an object id; principal.json
  holds them.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .config import write_private_file

# ARM accepts these audiences (the real error message lists the same four).
MANAGEMENT_AUDIENCES = ("https://management.core.windows.net/", "https://management.core.windows.net",
                        "https://management.azure.com/", "https://management.azure.com")
EVENTHUBS_AUDIENCE = "https://eventhubs.azure.net"
NAMESPACE_AUDIENCE = re.compile(r"^https://(?P<ns>[a-z0-9][a-z0-9-]{4,48}[a-z0-9])\.servicebus\.windows\.net/?$", re.IGNORECASE)
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def uint_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class TokenError(Exception):
    """A token that is not one of ours, not valid now, or not for this audience; `code` is ARM's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class App:
    """An app registration with its service principal."""

    name: str
    client_id: str
    client_secret: str
    object_id: str


class SigningKey:
    def __init__(self, directory: Path) -> None:
        path = directory / "signing-key.pem"
        if path.exists():
            self.key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        else:
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
            write_private_file(path, pem.decode("ascii"))
        numbers = self.key.public_key().public_numbers()
        self.public_jwk = {"kty": "RSA", "e": uint_b64(numbers.e), "n": uint_b64(numbers.n)}
        thumbprint = json.dumps(self.public_jwk, separators=(",", ":"), sort_keys=True).encode("ascii")
        self.kid = b64url(hashlib.sha256(thumbprint).digest())

    def jwks(self) -> dict:
        return {"keys": [{**self.public_jwk, "use": "sig", "kid": self.kid, "alg": "RS256"}]}

    def sign(self, claims: dict[str, Any]) -> str:
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"

    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a token this key signed; TokenError for anything else."""
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenError("InvalidAuthenticationToken", "The access token is invalid.")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except (ValueError, UnicodeDecodeError) as error:
            raise TokenError("InvalidAuthenticationToken", "The access token is invalid.") from error
        if header.get("alg") != "RS256" or header.get("kid") != self.kid:
            raise TokenError("InvalidAuthenticationToken", "The access token is invalid.")
        try:
            self.key.public_key().verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as error:
            raise TokenError("InvalidAuthenticationTokenSignature", "The access token has an invalid signature.") from error
        return claims


def scope_resource(scope: str) -> str | None:
    """The resource of a client-credentials scope (`<resource>/.default`), or None when it is not one Entra serves here."""
    words = scope.split()
    if len(words) != 1 or not words[0].endswith("/.default"):
        return None
    resource = words[0][: -len("/.default")]
    if resource.rstrip("/") in {a.rstrip("/") for a in MANAGEMENT_AUDIENCES}:
        return resource.rstrip("/")
    if resource.rstrip("/") == EVENTHUBS_AUDIENCE or NAMESPACE_AUDIENCE.match(resource):
        return resource.rstrip("/")
    return None


def namespace_of_audience(audience: str) -> str | None:
    match = NAMESPACE_AUDIENCE.match(audience)
    return match.group("ns").lower() if match else None


def access_token_claims(issuer: str, tenant: str, app: App, audience: str, lifetime: int, now: float | None = None) -> dict:
    issued = int(now if now is not None else time.time())
    return {
        "aud": audience, "iss": issuer, "iat": issued, "nbf": issued, "exp": issued + lifetime,
        "aio": b64url(uuid.uuid4().bytes), "azp": app.client_id, "azpacr": "1", "appid": app.client_id,
        "idp": issuer, "oid": app.object_id, "sub": app.object_id, "tid": tenant, "ver": "2.0",
        "uti": b64url(uuid.uuid4().bytes[:12]), "rh": "0.testbed.",
    }
