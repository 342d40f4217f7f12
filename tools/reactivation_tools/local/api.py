"""API Gateway (HTTP API) on 127.0.0.1: requests become payload-2.0 events for the functions."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

#: API Gateway refuses larger payloads with 413 before the function runs.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
TEXT_TYPES = ("text/", "application/json", "application/x-www-form-urlencoded", "application/xml")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str  # logical id


Invoke = Callable[[str, Mapping[str, Any]], tuple[bool, Any]]
Control = Callable[[str, str, Mapping[str, str], bytes], tuple[int, Any]]


def routes_from(specs: Mapping[str, Any]) -> list[Route]:
    routes = []
    for logical_id, spec in specs.items():
        for event in spec.events.values():
            if event["Type"] == "HttpApi":
                routes.append(Route(event["Method"].upper(), event["Path"], logical_id))
    return routes


def http_api_event(
    method: str, target: str, headers: Mapping[str, str], body: bytes, source_ip: str
) -> dict[str, Any]:
    url = urlsplit(target)
    lowered = {k.lower(): v for k, v in headers.items()}
    text = lowered.get("content-type", "").startswith(TEXT_TYPES) or not body
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {url.path}",
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": lowered,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": lowered.get("host", "127.0.0.1"),
            "http": {
                "method": method,
                "path": url.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"{method} {url.path}",
            "stage": "$default",
            "timeEpoch": int(time.time() * 1000),
        },
        "body": body.decode("utf-8", "replace") if text else base64.b64encode(body).decode(),
        "isBase64Encoded": not text,
    }
    if url.query:
        event["queryStringParameters"] = dict(parse_qsl(url.query))
    if "cookie" in lowered:  # API Gateway passes them as a list, not as the header
        event["cookies"] = [c.strip() for c in lowered.pop("cookie").split(";") if c.strip()]
    return event


def match(routes: Mapping[tuple[str, str], Route], method: str, path: str) -> Route | None:
    """The route API Gateway picks: the exact path, else the longest greedy `{proxy+}` prefix
    (a method's route before an ANY one)."""
    for wanted in (method, "ANY"):
        if (wanted, path) in routes:
            return routes[(wanted, path)]
    best: Route | None = None
    for (route_method, route_path), route in routes.items():
        if route_method not in (method, "ANY") or not route_path.endswith("/{proxy+}"):
            continue
        prefix = route_path.removesuffix("{proxy+}")
        longer = best is None or len(route_path) > len(best.path)
        if path.startswith(prefix) and len(path) > len(prefix) and longer:
            best = route
    return best


class LocalApi:
    def __init__(self, host: str, port: int, invoke: Invoke, control: Control) -> None:
        self._routes: dict[tuple[str, str], Route] = {}
        self._invoke = invoke
        self._control = control
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Request lines stay out of the terminal (and hold no patient data anyway)."""

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length > MAX_PAYLOAD_BYTES:
                    while length > 0:  # read it all, so that the client hears the answer
                        length -= len(self.rfile.read(min(length, 1 << 16)) or b"x" * length)
                    self._reply(413, {"message": "Request Entity Too Large"})
                    return
                body = self.rfile.read(length) if length else b""
                path = urlsplit(self.path).path
                if path.startswith("/_local/"):
                    status, payload = api._control(
                        self.command, self.path, dict(self.headers), body
                    )
                    self._reply(status, payload)
                    return
                route = match(api._routes, self.command, path)
                if route is None:
                    self._reply(404, {"message": "Not Found"})
                    return
                event = http_api_event(
                    self.command, self.path, dict(self.headers), body, self.client_address[0]
                )
                ok, result = api._invoke(route.function, event)
                if not ok or not isinstance(result, dict):
                    self._reply(500, {"message": "Internal Server Error"})
                    return
                raw = result.get("body") or ""
                data = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
                self.send_response(int(result.get("statusCode", 200)))
                for name, value in (result.get("headers") or {}).items():
                    self.send_header(name, str(value))
                for cookie in result.get("cookies") or []:
                    self.send_header("set-cookie", str(cookie))
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _reply(self, status: int, payload: Any) -> None:
                raw = getattr(payload, "data", None)
                data = raw if isinstance(raw, bytes) else json.dumps(payload).encode()
                content_type = getattr(payload, "content_type", "application/json")
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def route(self, routes: list[Route]) -> None:
        self._routes = {(r.method, r.path): r for r in routes}

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
