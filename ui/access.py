"""Who may reach the web UI, and how: loopback is open, any other address needs `user:password` credentials
(a password of 8 characters or more); requests must name an allowed Host (no DNS rebinding) and come from
the page's own origin; failed logins are throttled per client address and per account. The client address
is the connection's own; an X-Forwarded-For header counts only when the connection comes from a proxy the
operator trusts (TUTOR_TRUSTED_PROXIES).

The rules are pure functions and small ASGI wrappers with no web framework in them, so they are tested
without starting a server; ui/server.py puts them in front of the Gradio app.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tutor.errors import ConfigError

MIN_PASSWORD = 8
WILDCARDS = ("0.0.0.0", "::", "")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
LOGIN_FREE_TRIES = 5  # failed logins per client before it must wait
LOGIN_WINDOW_S = 300.0  # failures older than this are forgotten
LOGIN_LOCKOUT_S = 30.0  # the wait after the free tries, doubled with each further failure, at most 15 min
LOGIN_BODY_MAX = 16_384  # bytes of a login form read to learn the account name; a larger body is refused

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost; 0.0.0.0 and every other address listen beyond this machine."""
    host = host.strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """'user:password' -> (user, password); empty -> None. The password may itself contain ':'."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise ConfigError("credentials must look like user:password: pass --auth user:password or set TUTOR_AUTH")
    if len(password) < MIN_PASSWORD:
        raise ConfigError(
            f"the password in --auth/TUTOR_AUTH has {len(password)} characters: use at least {MIN_PASSWORD}"
        )
    return user, password


def listen_credentials(host: str, auth: str | None) -> tuple[str, str] | None:
    """The credentials to launch with; raises ConfigError when a non-loopback address has none."""
    credentials = parse_auth(auth)
    if credentials is None and not is_loopback(host):
        raise ConfigError(
            f"listening on {host} needs credentials: pass --auth user:password or set TUTOR_AUTH "
            "(or listen on 127.0.0.1)"
        )
    return credentials


def teacher_rule(auth: str | None, teacher_auth: str | None) -> str:
    """The one line `tutor serve` says about the teacher page; raises ConfigError for teacher credentials
    without learner ones (Gradio's sign-in is the page's, so without --auth nobody would be asked for them)."""
    teacher = parse_auth(teacher_auth)
    if teacher and not parse_auth(auth):
        raise ConfigError(
            "--teacher-auth/TUTOR_TEACHER_AUTH needs --auth/TUTOR_AUTH too: without it nobody signs in and the "
            "teacher page would be open; add --auth user:password (or drop --teacher-auth on 127.0.0.1)"
        )
    if teacher:
        return f"teacher page: only for {teacher[0]!r}, signed in"
    if auth:
        return "teacher page: locked (no --teacher-auth)"
    return "teacher page: open to anyone who can reach this address (no --auth)"


# --- the Host header (DNS rebinding) and the Origin ------------------------------------------------------
def allowed_hosts(host: str, extra: Sequence[str] = ()) -> list[str]:
    """Host names a request may carry: the address served on, the `extra` ones (TUTOR_ALLOWED_HOSTS),
    localhost names when serving on loopback or on every address, and this machine's names and addresses
    when serving on every address."""
    bare = host.strip().strip("[]").lower()
    names = {bare, *(h.strip().lower() for h in extra if h.strip())}
    if is_loopback(host) or bare in WILDCARDS:
        names |= set(LOOPBACK_NAMES)
    if bare in WILDCARDS:
        me = socket.gethostname()
        names |= {me.lower(), socket.getfqdn().lower()}
        with contextlib.suppress(OSError):
            names |= {str(info[4][0]) for info in socket.getaddrinfo(me, None)}
    names.discard("")
    return sorted(names)


def host_of(value: str) -> str:
    """The name in a Host header or an origin, without port or brackets: '[::1]:7860' -> '::1'."""
    netloc = urlsplit(value if "//" in value else f"//{value}").hostname
    return (netloc or "").lower()


def same_origin(origin: str, host_header: str) -> bool:
    """True when a browser's Origin is the page's own: same host and port as the request's Host header."""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # "null" (sandboxed frames, files) and anything odd
    return parts.netloc.lower() == host_header.strip().lower()


async def _refuse(scope: Scope, send: Send, status: int, detail: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SameOriginOnly:
    """ASGI: refuse a request whose Origin header is another site's (the page's own origin, and requests
    without an Origin such as curl or the Python client, pass), and forbid remote images on every page
    (Content-Security-Policy img-src), so a chat message cannot make the browser fetch a URL."""

    CSP = (b"content-security-policy", b"img-src 'self' data: blob:")

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        origin, host = headers.get("origin"), headers.get("host", "")
        if origin is not None and not same_origin(origin, host):
            await _refuse(scope, send, 403, "requests from another site are refused")
            return

        async def send_with_csp(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.CSP]
            await send(message)

        await self.app(scope, receive, send_with_csp)


# --- login throttling -----------------------------------------------------------------------------------
def client_address(peer: str, forwarded_for: str | None, trusted: Sequence[str] = ()) -> str:
    """The address a request comes from: the connection's `peer`, unless it is one of the `trusted` proxies
    (addresses or networks), then the right-most X-Forwarded-For entry that is not a trusted proxy."""
    if not forwarded_for or not _in(peer, trusted):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _in(address: str, networks: Sequence[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return address in networks
    for n in networks:
        with contextlib.suppress(ValueError):
            if ip in ipaddress.ip_network(n.strip(), strict=False):
                return True
    return False


class LoginThrottle:
    """Failed logins per key (a client address, an account): after LOGIN_FREE_TRIES failures, the key waits
    LOGIN_LOCKOUT_S, doubled with each further failure; a success forgets its failures. Thread-safe;
    `clock` for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def wait_s(self, client: str) -> float:
        """Seconds the key must wait before its next try; 0 when it may try now."""
        with self._lock:
            now = self.clock()
            recent = [t for t in self._failures.get(client, []) if now - t < LOGIN_WINDOW_S]
            self._failures[client] = recent
            extra = len(recent) - LOGIN_FREE_TRIES
            if extra < 0:
                return 0.0
            return max(0.0, recent[-1] + min(LOGIN_LOCKOUT_S * 2**extra, 900.0) - now)

    def failed(self, client: str) -> None:
        with self._lock:
            self._failures.setdefault(client, []).append(self.clock())

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


class ThrottleLogins:
    """ASGI: POST .../login goes through `throttle`, keyed both on the client address (`client_address`)
    and on the account named in the form, so neither a changing header nor a changing address gets more
    tries: a key that must wait gets 429 whatever the password, and the answer's status (400 or 401: wrong
    credentials) is recorded against both keys."""

    def __init__(self, app: ASGIApp, throttle: LoginThrottle | None = None, trusted_proxies: Sequence[str] = ()):
        self.app = app
        self.throttle = throttle or LoginThrottle()
        self.trusted = list(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or not scope["path"].rstrip("/").endswith("/login"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        peer = (scope.get("client") or ("?", 0))[0]
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = bool(message.get("more_body"))
            if len(body) > LOGIN_BODY_MAX:
                await _refuse(scope, send, 413, "a login form is a user name and a password")
                return
        user = parse_qs(body.decode("latin-1")).get("username", [""])[0].strip()
        keys = [f"address:{client_address(peer, headers.get('x-forwarded-for'), self.trusted)}"]
        if user:
            keys.append(f"account:{user}")
        wait = max(self.throttle.wait_s(k) for k in keys)
        if wait > 0:
            await _refuse(scope, send, 429, f"too many failed logins: try again in {wait:.0f} s")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for k in keys:
                    if status in (400, 401):  # Gradio's answer to wrong credentials
                        self.throttle.failed(k)
                    elif status < 400:
                        self.throttle.succeeded(k)
            await send(message)

        await self.app(scope, replay, record)
