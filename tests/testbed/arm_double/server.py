# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTTPS server of the ARM test double: identity endpoints, cloud metadata, ARM routes and `/_double/` controls."""
from __future__ import annotations

import base64
import json
import re
import ssl
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from . import kafka_sync
from .authorization import AUTHORIZATION_API_VERSIONS, Authorization
from .config import CLOUD_NAME, DoubleConfig
from .controls import Controls, Fault
from .entra import (JWT_BEARER, MANAGEMENT_AUDIENCES, App, SigningKey, TokenError, access_token_claims,
                    scope_resource)
from .errors import ArmError
from .provider import Provider, Reply
from .store import Store
from .tls import ensure_certificates

EVENTHUB_API_VERSIONS = ("2017-04-01", "2021-11-01", "2022-10-01-preview", "2024-01-01", "2024-05-01-preview", "2026-01-01")
API_VERSION_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
MANAGEMENT_AUDIENCE = "https://management.azure.com/"

SUB = r"/subscriptions/(?P<sub>[^/]+)"
RG = SUB + r"/resourcegroups/(?P<rg>[^/]+)"
NS = RG + r"/providers/microsoft\.eventhub/namespaces/(?P<ns>[^/]+)"
EH = NS + r"/eventhubs/(?P<eh>[^/]+)"
RULE = r"/authorizationrules/(?P<rule>[^/]+)"
CG = EH + r"/consumergroups/(?P<cg>[^/]+)"
# Role assignments and definitions at a management group, the subscription, a resource group or a namespace.
AUTHZ_SCOPE = (r"(?:/providers/microsoft\.management/managementgroups/(?P<mg>[^/]+)|" + SUB
               + r"(?:/resourcegroups/(?P<rg>[^/]+)(?:/providers/microsoft\.eventhub/namespaces/(?P<ns>[^/]+))?)?)")
AUTHZ = AUTHZ_SCOPE + r"/providers/microsoft\.authorization"


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    api_version: str
    groups: dict[str, str]
    caller: dict[str, Any] | None = None

    def __getitem__(self, key: str) -> str:
        return self.groups[key]

    def get(self, key: str) -> str | None:
        return self.groups.get(key)


Route = tuple[str, "re.Pattern[str]", Callable[[Call], Reply]]


def authorization_routes(a: Authorization) -> list[Route]:
    def r(method: str, pattern: str, handler: Callable[[Call], Reply]) -> Route:
        return method, re.compile(f"^{pattern}$", re.IGNORECASE), handler

    assignment = AUTHZ + r"/roleassignments/(?P<name>[^/]+)"
    definition = AUTHZ + r"/roledefinitions/(?P<role>[^/]+)"
    return [
        r("GET", AUTHZ + "/roleassignments", lambda c: a.list_assignments(c.groups, c.path, c.query)),
        r("GET", assignment, lambda c: a.get_assignment(c.groups, c.path, c["name"])),
        r("PUT", assignment, lambda c: a.put_assignment(c.groups, c.path, c["name"], c.body, c.caller or {})),
        r("DELETE", assignment, lambda c: a.delete_assignment(c.groups, c.path, c["name"], c.caller or {})),
        r("GET", AUTHZ + "/roledefinitions", lambda c: a.list_role_definitions(c.groups, c.path, c.query)),
        r("GET", definition, lambda c: a.get_role_definition(c.groups, c.path, c["role"])),
    ]


def arm_routes(p: Provider) -> list[Route]:
    def r(method: str, pattern: str, handler: Callable[[Call], Reply]) -> Route:
        return method, re.compile(f"^{pattern}$", re.IGNORECASE), handler

    def rule_routes(prefix: str, hub: bool) -> list[Route]:
        def eh(c: Call) -> str | None:
            return c["eh"] if hub else None
        return [
            r("GET", prefix + r"/authorizationrules", lambda c: p.list_rules(c["sub"], c["rg"], c["ns"], eh(c))),
            r("GET", prefix + RULE, lambda c: p.get_rule(c["sub"], c["rg"], c["ns"], eh(c), c["rule"])),
            r("PUT", prefix + RULE, lambda c: p.put_rule(c["sub"], c["rg"], c["ns"], eh(c), c["rule"], c.body)),
            r("DELETE", prefix + RULE, lambda c: p.delete_rule(c["sub"], c["rg"], c["ns"], eh(c), c["rule"])),
            r("POST", prefix + RULE + "/listkeys", lambda c: p.list_keys(c["sub"], c["rg"], c["ns"], eh(c), c["rule"])),
            r("POST", prefix + RULE + "/regeneratekeys",
              lambda c: p.regenerate_keys(c["sub"], c["rg"], c["ns"], eh(c), c["rule"], c.body)),
        ]

    return [
        r("GET", SUB + "/resourcegroups", lambda c: p.list_resource_groups(c["sub"])),
        r("GET", RG, lambda c: p.get_resource_group(c["sub"], c["rg"])),
        r("HEAD", RG, lambda c: p.resource_group_exists(c["sub"], c["rg"])),
        r("PUT", RG, lambda c: p.put_resource_group(c["sub"], c["rg"], c.body)),
        r("DELETE", RG, lambda c: p.delete_resource_group(c["sub"], c["rg"])),
        r("POST", SUB + r"/providers/microsoft\.eventhub/checknameavailability", lambda c: p.check_name_availability(c["sub"], c.body)),
        r("GET", SUB + r"/providers/microsoft\.eventhub/namespaces", lambda c: p.list_namespaces(c["sub"], None)),
        r("GET", SUB + r"/providers/microsoft\.eventhub/locations/[^/]+/operationstatuses/(?P<op>[^/]+)",
          lambda c: p.operation_status(c["sub"], c["op"])),
        r("GET", RG + r"/providers/microsoft\.eventhub/namespaces", lambda c: p.list_namespaces(c["sub"], c["rg"])),
        r("GET", NS, lambda c: p.get_namespace(c["sub"], c["rg"], c["ns"])),
        r("PUT", NS, lambda c: p.put_namespace(c["sub"], c["rg"], c["ns"], c.body, c.api_version)),
        r("PATCH", NS, lambda c: p.patch_namespace(c["sub"], c["rg"], c["ns"], c.body)),
        r("DELETE", NS, lambda c: p.delete_namespace(c["sub"], c["rg"], c["ns"], c.api_version)),
        r("GET", NS + r"/operationresults/(?P<op>[^/]+)", lambda c: p.operation_result(c["sub"], c["rg"], c["ns"], c["op"])),
        *rule_routes(NS, hub=False),
        r("GET", NS + "/eventhubs", lambda c: p.list_event_hubs(c["sub"], c["rg"], c["ns"])),
        r("GET", EH, lambda c: p.get_event_hub(c["sub"], c["rg"], c["ns"], c["eh"])),
        r("PUT", EH, lambda c: p.put_event_hub(c["sub"], c["rg"], c["ns"], c["eh"], c.body)),
        r("DELETE", EH, lambda c: p.delete_event_hub(c["sub"], c["rg"], c["ns"], c["eh"])),
        *rule_routes(EH, hub=True),
        r("GET", EH + "/consumergroups", lambda c: p.list_consumer_groups(c["sub"], c["rg"], c["ns"], c["eh"])),
        r("GET", CG, lambda c: p.get_consumer_group(c["sub"], c["rg"], c["ns"], c["eh"], c["cg"])),
        r("PUT", CG, lambda c: p.put_consumer_group(c["sub"], c["rg"], c["ns"], c["eh"], c["cg"], c.body)),
        r("DELETE", CG, lambda c: p.delete_consumer_group(c["sub"], c["rg"], c["ns"], c["eh"], c["cg"])),
    ]


class Identity:
    """The Microsoft Entra ID endpoints azure-identity's ClientSecretCredential (through MSAL) calls."""

    def __init__(self, config: DoubleConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.key = SigningKey(config.double_dir)
        self.apps = {app.client_id: app for app in (
            App("operator", config.client_id, config.client_secret, config.client_object_id),
            App("connect", config.connect_client_id, config.connect_client_secret, config.connect_object_id))}
        # Seconds an access token lives (control `token-lifetime`; the testbed shortens it to prove refresh).
        self.lifetime = config.token_lifetime
        self.issued: list[dict[str, Any]] = []
        self.issued_lock = threading.Lock()

    def principals(self) -> dict[str, str]:
        return {app.object_id.lower(): app.name for app in self.apps.values()}

    def jwks(self, tenant: str) -> dict:
        self.known_tenant(tenant)
        return self.key.jwks()

    def known_tenant(self, tenant: str) -> None:
        if tenant.lower() not in (self.config.tenant.lower(), "organizations", "common"):
            raise OAuthError(400, "invalid_tenant", f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID.")

    def openid_configuration(self, tenant: str, version: str) -> dict:
        self.known_tenant(tenant)
        base = f"{self.config.base_url}/{self.config.tenant}"
        prefix = f"{base}/oauth2/v2.0" if version else f"{base}/oauth2"
        return {
            "token_endpoint": f"{prefix}/token",
            "authorization_endpoint": f"{prefix}/authorize",
            "device_authorization_endpoint": f"{prefix}/devicecode",
            "end_session_endpoint": f"{prefix}/logout",
            "issuer": f"{base}/v2.0" if version else f"{base}/",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "testbed.local",
        }

    def instance_discovery(self) -> dict:
        endpoint = f"{self.config.base_url}/{self.config.tenant}/v2.0/.well-known/openid-configuration"
        host = f"{self.config.host}:{self.config.port}"
        return {
            "tenant_discovery_endpoint": endpoint,
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        }

    def token(self, tenant: str, form: dict[str, str]) -> dict:
        self.known_tenant(tenant)
        if form.get("grant_type") != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
        app = self.apps.get(form.get("client_id") or "")
        if app is None:
            raise OAuthError(
                400, "unauthorized_client",
                f"AADSTS700016: Application with identifier '{form.get('client_id')}' was not found in the directory '{tenant}'.",
            )
        if form.get("client_assertion_type") == JWT_BEARER:
            raise OAuthError(
                401, "invalid_client",
                f"AADSTS70021: No matching federated identity record found for presented assertion. The app '{app.client_id}' "
                "of the ARM test double has no federated identity credentials.",
            )
        if form.get("client_secret") != app.client_secret:
            raise OAuthError(
                401, "invalid_client",
                f"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
                f"value, not the client secret ID, for a secret added to app '{app.client_id}'.",
            )
        scope = form.get("scope", "")
        resource = scope_resource(scope)
        if resource is None:
            raise OAuthError(
                400, "invalid_scope" if "/.default" not in scope else "invalid_resource",
                f"AADSTS1002012: The provided value for scope {scope} is not valid. Client credential flows must have a scope "
                "value with /.default suffixed to the resource identifier (application ID URI)."
                if "/.default" not in scope else
                f"AADSTS500011: The resource principal named {scope[:-len('/.default')]} was not found in the tenant named "
                f"{tenant}. This can happen if the application has not been installed by the administrator of the tenant.",
            )
        lifetime = self.lifetime
        claims = access_token_claims(self.config.issuer, self.config.tenant, app, resource, lifetime)
        with self.issued_lock:
            self.issued.append({"client_id": app.client_id, "app": app.name, "aud": resource, "iat": claims["iat"],
                                "exp": claims["exp"]})
            del self.issued[:-1000]
        return {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": self.key.sign(claims)}

    def mint(self, request: dict[str, Any]) -> str:
        """A test control: a token for `app` and `aud` with `lifetime` seconds from `offset` seconds ago (expired ones too)."""
        app = next(a for a in self.apps.values() if a.name == request.get("app", "connect"))
        now = time.time() - float(request.get("offset", 0))
        claims = access_token_claims(request.get("iss", self.config.issuer), self.config.tenant, app, request["aud"],
                                     int(request.get("lifetime", self.lifetime)), now)
        return self.key.sign(claims)

    def check_bearer(self, header: str | None) -> dict[str, Any]:
        """The claims of a valid ARM bearer token; ArmError 401 as ARM answers it otherwise."""
        if not header or not header.lower().startswith("bearer "):
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.",
                           {"WWW-Authenticate": self.challenge("invalid_token", "The authentication failed because of missing 'Authorization' header.")})
        try:
            claims = self.key.verify(header[7:].strip())
        except TokenError as error:
            raise ArmError(401, error.code, error.message,
                           {"WWW-Authenticate": self.challenge("invalid_token", error.message)}) from error
        if claims.get("iss") != self.config.issuer:
            raise ArmError(401, "InvalidAuthenticationTokenTenant", f"The access token is from the wrong issuer '{claims.get('iss')}'.",
                           {"WWW-Authenticate": self.challenge("invalid_token", "The access token is from the wrong issuer.")})
        if claims.get("aud") not in MANAGEMENT_AUDIENCES:
            allowed = ",".join(f"'{a}'" for a in MANAGEMENT_AUDIENCES)
            message = (f"The access token has been obtained for wrong audience or resource '{claims.get('aud')}'. "
                       f"It should exactly match with one of the allowed audiences {allowed}.")
            raise ArmError(401, "InvalidAuthenticationTokenAudience", message,
                           {"WWW-Authenticate": self.challenge("invalid_token", "The access token has the wrong audience.")})
        expiry = float(claims.get("exp", 0))
        if expiry <= time.time():
            now = time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime())
            expired = time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(expiry))
            raise ArmError(401, "ExpiredAuthenticationToken",
                           f"The access token expiry UTC time '{expired}' is earlier than current UTC time '{now}'.",
                           {"WWW-Authenticate": self.challenge("invalid_token", "The access token has expired.")})
        return claims

    def challenge(self, error: str, description: str) -> str:
        return f'Bearer authorization_uri="{self.config.base_url}/", error="{error}", error_description="{description}"'


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.body = {"error": error, "error_description": description, "error_codes": [int(description[6:].split(":")[0])],
                     "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()), "trace_id": str(uuid.uuid4()),
                     "correlation_id": str(uuid.uuid4())}


def basic_client_credentials(header: str | None) -> dict[str, str]:
    """client_secret_basic: the client id and secret in `Authorization: Basic`, as Kafka's OAuth client sends them
    (URL-encoded first when sasl.oauthbearer.header.urlencode is on)."""
    if not header or not header.lower().startswith("basic "):
        return {}
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return {}
    client_id, _colon, secret = decoded.partition(":")
    return {"client_id": urllib.parse.unquote(client_id), "client_secret": urllib.parse.unquote(secret)}


def cloud_metadata(config: DoubleConfig, api_version: str) -> Any:
    """Cloud endpoints as `GET /metadata/endpoints` of real ARM: a list since 2022-09-01, one object before."""
    base = f"{config.base_url}/"
    if api_version >= "2019-05-01":
        return [{
            "name": CLOUD_NAME,
            "portal": base,
            "resourceManager": base,
            "authentication": {"loginEndpoint": base, "audiences": [MANAGEMENT_AUDIENCE], "tenant": "common", "identityProvider": "AAD"},
            "graph": base,
            "graphAudience": base,
            "microsoftGraphResourceId": base,
            "activeDirectoryDataLake": base,
            "batch": base,
            "gallery": base,
            "media": base,
            "sqlManagement": base,
            "vmImageAliasDoc": f"{base}vmImageAliases.json",
            "logAnalyticsResourceId": base,
            "appInsightsResourceId": base,
            "appInsightsTelemetryChannelResourceId": base,
            "suffixes": {
                "keyVaultDns": "vault.testbed.local", "storage": "core.testbed.local", "acrLoginServer": "azurecr.testbed.local",
                "sqlServerHostname": "database.testbed.local", "serviceBus": "servicebus.windows.net",
            },
        }]
    return {
        "galleryEndpoint": base,
        "graphEndpoint": base,
        "portalEndpoint": base,
        "authentication": {"loginEndpoint": base, "audiences": [MANAGEMENT_AUDIENCE]},
    }


class DoubleServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, config: DoubleConfig) -> None:
        self.config = config
        self.default_lro_delay = config.lro_delay
        self.store = Store(config)
        self.provider = Provider(self.store)
        self.identity = Identity(config, self.store)
        self.authorization = Authorization(self.provider, self.identity.principals(), config.tenant)
        self.controls = Controls(latency_ms=config.latency_ms)
        self.routes = arm_routes(self.provider) + authorization_routes(self.authorization)
        self.stopping = threading.Event()
        super().__init__((config.host, config.port), DoubleHandler)
        tls = ensure_certificates(config.double_dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls.server_cert), str(tls.server_key))
        self.tls_context = context
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.store.write_kafka_credentials()
        threading.Thread(target=self.store.run_ticker, args=(self.stopping,), daemon=True).start()
        threading.Thread(target=self.serve_pods, daemon=True, name="pods-listener").start()
        kafka_sync.start(self)

    def serve_pods(self) -> None:
        """The same endpoints on the host end of the pods' veth, once it exists: Connect workers fetch their tokens
        there (the pod network namespace cannot reach 127.0.0.1). Its address appears when the broker starts."""
        while not self.stopping.is_set():
            try:
                pods = PodsServer(self)
            except OSError:
                self.stopping.wait(1.0)
                continue
            pods.serve_forever(poll_interval=0.5)
            return

    def server_close(self) -> None:
        self.stopping.set()
        super().server_close()


class PodsServer(ThreadingHTTPServer):
    """A second listening socket of the same double (same state, same handlers)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, main: DoubleServer) -> None:
        super().__init__((main.config.pods_host, main.config.port), DoubleHandler)
        self.socket = main.tls_context.wrap_socket(self.socket, server_side=True)
        self.main = main


class DoubleHandler(BaseHTTPRequestHandler):
    server: DoubleServer
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle on, keep-alive clients wait ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        # Requests on the pods' listener act on the one double behind both sockets.
        self.server = getattr(self.server, "main", self.server)

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        """The request log under /_double/requests replaces http.server's stderr lines."""

    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_PUT(self) -> None:
        self.dispatch("PUT")

    def do_POST(self) -> None:
        self.dispatch("POST")

    def do_PATCH(self) -> None:
        self.dispatch("PATCH")

    def do_DELETE(self) -> None:
        self.dispatch("DELETE")

    def do_HEAD(self) -> None:
        self.dispatch("HEAD")

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def dispatch(self, method: str) -> None:
        started = time.time()
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path).rstrip("/") or "/"
        query = {k.lower(): v for k, v in urllib.parse.parse_qsl(url.query)}
        raw = self.read_body()
        if path.startswith("/_double/"):
            self.answer_control(method, path, raw)
            return
        status, injected = 500, False
        try:
            if self.server.controls.latency_ms:
                time.sleep(self.server.controls.latency_ms / 1000)
            fault = self.server.controls.take_fault(method, path)
            if fault:
                injected = True
                status = fault.status
                self.send_json(fault.status, fault.body(), fault.headers())
                return
            status = self.answer(method, path, query, raw)
        finally:
            self.server.controls.record(method, path, query.get("api-version"), status, started, injected)

    def answer(self, method: str, path: str, query: dict[str, str], raw: bytes) -> int:
        try:
            if path.lower().startswith(("/subscriptions/", "/providers/")):
                reply = self.answer_arm(method, path, query, raw)
            else:
                reply = self.answer_identity_or_metadata(method, path, query, raw)
        except ArmError as error:
            reply = Reply(error.status, error.body(), error.headers)
        except OAuthError as error:
            reply = Reply(error.status, error.body)
        self.send_json(reply.status, reply.body, reply.headers)
        return reply.status

    def answer_arm(self, method: str, path: str, query: dict[str, str], raw: bytes) -> Reply:
        caller = self.server.identity.check_bearer(self.headers.get("Authorization"))
        api_version = query.get("api-version", "")
        if not api_version:
            raise ArmError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
        authorization = "/providers/microsoft.authorization/" in path.lower()
        eventhub = "/providers/microsoft.eventhub/" in path.lower() and not authorization
        versions = AUTHORIZATION_API_VERSIONS if authorization else EVENTHUB_API_VERSIONS
        if ((eventhub or authorization) and api_version not in versions) or not API_VERSION_FORMAT.match(api_version):
            supported = ",".join(versions)
            raise ArmError(400, "InvalidApiVersionParameter", f"The api-version '{api_version}' is invalid. The supported versions are '{supported}'.")
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError as error:
            raise ArmError(400, "InvalidRequestContent", f"The request content was invalid and could not be deserialized: '{error}'.") from error
        self.server.store.settle()
        allowed = []
        for route_method, pattern, handler in self.server.routes:
            match = pattern.match(path)
            if match:
                allowed.append(route_method)
                if route_method == method:
                    with self.server.store.lock:
                        return handler(Call(method, path, query, body, api_version, match.groupdict(), caller))
        if allowed:
            raise ArmError(405, "MethodNotAllowed", f"The requested method '{method}' is not allowed for this resource.")
        raise ArmError(404, "InvalidResourceType", f"The resource type could not be found for path '{path}' and api version '{api_version}'.")

    def answer_identity_or_metadata(self, method: str, path: str, query: dict[str, str], raw: bytes) -> Reply:
        identity = self.server.identity
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/metadata/endpoints":
            return Reply(200, cloud_metadata(self.server.config, query.get("api-version", "2015-01-01")))
        if method == "GET" and path == "/common/discovery/instance":
            return Reply(200, identity.instance_discovery())
        if method == "GET" and path.endswith("/.well-known/openid-configuration") and len(parts) in (3, 4):
            return Reply(200, identity.openid_configuration(parts[0], "v2.0" if parts[1] == "v2.0" else ""))
        if method == "GET" and len(parts) in (3, 4) and parts[1] == "discovery" and parts[-1] == "keys":
            return Reply(200, identity.jwks(parts[0]))
        if method == "POST" and len(parts) >= 3 and parts[1] == "oauth2" and parts[-1] == "token":
            form = dict(urllib.parse.parse_qsl(raw.decode("utf-8")))
            form.update(basic_client_credentials(self.headers.get("Authorization")))
            return Reply(200, identity.token(parts[0], form))
        raise ArmError(404, "NotFound", f"No such endpoint: {method} {path}")

    def answer_control(self, method: str, path: str, raw: bytes) -> None:
        """Unauthenticated test controls; never logged, never used by the modules."""
        server = self.server
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            self.send_json(400, {"error": "body must be JSON"})
            return
        key = (method, path)
        if key == ("GET", "/_double/health"):
            self.send_json(200, {"status": "ok", "url": server.config.base_url})
        elif key == ("GET", "/_double/requests"):
            self.send_json(200, server.controls.requests())
        elif key == ("DELETE", "/_double/requests"):
            server.controls.clear_requests()
            self.send_json(200, {})
        elif key == ("GET", "/_double/state"):
            server.store.settle()
            with server.store.lock:
                self.send_json(200, server.provider.dump())
        elif key == ("POST", "/_double/reset"):
            server.store.reset()
            server.controls.clear_faults()
            server.controls.latency_ms = server.config.latency_ms
            server.config.lro_delay = server.default_lro_delay
            server.provider.fail_next_lro = False
            server.provider.omitted_fields = set()
            server.identity.lifetime = server.config.token_lifetime
            server.authorization.writes_allowed = True
            server.authorization.unreplicated.clear()
            self.send_json(200, {})
        elif key == ("PUT", "/_double/latency"):
            server.controls.latency_ms = int(body.get("ms", 0))
            self.send_json(200, {"ms": server.controls.latency_ms})
        elif key == ("PUT", "/_double/lro-delay"):
            server.config.lro_delay = float(body.get("seconds", server.default_lro_delay))
            self.send_json(200, {"seconds": server.config.lro_delay})
        elif key == ("POST", "/_double/faults"):
            fault = Fault(int(body["status"]), int(body.get("count", 1)), body.get("method"), body.get("path_regex"), body.get("retry_after"))
            with server.controls.lock:
                server.controls.faults.append(fault)
            self.send_json(200, {})
        elif key == ("DELETE", "/_double/faults"):
            server.controls.clear_faults()
            self.send_json(200, {})
        elif key == ("POST", "/_double/namespace-state"):
            server.store.hold_namespace(body["name"], body["provisioningState"], body.get("status", "Unknown"),
                                        float(body.get("seconds", 0)), body.get("outcome", "Succeeded"))
            self.send_json(200, {})
        elif key == ("PUT", "/_double/omit-fields"):
            server.provider.omitted_fields = set(body.get("fields") or [])
            self.send_json(200, {"fields": sorted(server.provider.omitted_fields)})
        elif key == ("PUT", "/_double/token-lifetime"):
            server.identity.lifetime = int(body.get("seconds", server.config.token_lifetime))
            self.send_json(200, {"seconds": server.identity.lifetime})
        elif key == ("POST", "/_double/mint-token"):
            self.send_json(200, {"access_token": server.identity.mint(body)})
        elif key == ("GET", "/_double/tokens"):
            with server.identity.issued_lock:
                self.send_json(200, list(server.identity.issued))
        elif key == ("PUT", "/_double/role-assignment-writes"):
            server.authorization.writes_allowed = bool(body.get("allowed", True))
            self.send_json(200, {"allowed": server.authorization.writes_allowed})
        elif key == ("PUT", "/_double/management-groups"):
            with server.store.lock:
                groups = {"ancestors": [str(g) for g in body.get("ancestors") or [server.config.tenant]],
                          "others": [str(g) for g in body.get("others") or []]}
                server.store.state["managementGroups"] = groups
                server.store.save()
            self.send_json(200, groups)
        elif key == ("POST", "/_double/principal-replication"):
            with server.store.lock:
                server.authorization.delay_replication(str(body["object_id"]), float(body.get("seconds", 0)),
                                                       int(body.get("requests", 0)))
            self.send_json(200, {})
        elif key == ("POST", "/_double/fail-next-lro"):
            server.provider.fail_next_lro = True
            self.send_json(200, {})
        else:
            self.send_json(404, {"error": f"no control {method} {path}"})

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = b"" if body is None or status == 204 else json.dumps(body).encode("utf-8")
        request_id = str(uuid.uuid4())
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("x-ms-request-id", request_id)
        self.send_header("x-ms-correlation-request-id", self.headers.get("x-ms-correlation-request-id") or request_id)
        self.send_header("Server", "streamops-arm-test-double")
        for name, value in (headers or {}).items():
            if value:
                self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)
