"""The web edge (issue 12, item 6): Host check against DNS rebinding, same-origin only, throttled logins,
a minimum password length and no remote images, against a real Gradio server on 127.0.0.1. Issue 35: the
throttle is keyed on the connection's address and the account, never on a forwarded header (item 2), and
`tutor serve` refuses teacher credentials without learner ones (item 1)."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import ROOT, free_port
from tutor.errors import ConfigError
from ui.access import (
    LOGIN_FREE_TRIES,
    LoginThrottle,
    allowed_hosts,
    client_address,
    host_of,
    parse_auth,
    same_origin,
    teacher_rule,
)

USER, PASSWORD = "ada", "correct-horse-battery"


@pytest.fixture(scope="module")
def server(tutor):
    from ui.app import build_app
    from ui.server import launch

    demo = build_app(tutor)
    launch(demo, "127.0.0.1", None, (USER, PASSWORD), prevent_thread_lock=True)
    yield demo.local_url.rstrip("/"), demo.server_port
    demo.close()


def test_a_foreign_host_header_is_refused(server):
    url, port = server
    rebound = httpx.get(
        f"{url}/config", headers={"Host": f"attacker.example:{port}", "Origin": f"http://attacker.example:{port}"}
    )
    assert rebound.status_code == 400 and "attacker" not in rebound.headers.get("access-control-allow-origin", "")
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert httpx.get(f"{url}/", headers={"Host": host}).status_code == 200


def test_another_origin_is_refused_even_on_the_right_host(server):
    url, port = server
    r = httpx.post(
        f"{url}/login", data={"username": USER, "password": PASSWORD}, headers={"Origin": "http://localhost:9999"}
    )
    assert r.status_code == 403 and not r.headers.get("access-control-allow-origin")
    page = httpx.get(f"{url}/", headers={"Origin": f"http://127.0.0.1:{port}"})
    assert page.status_code == 200
    assert "img-src 'self' data: blob:" in page.headers["content-security-policy"]  # no remote images


def test_failed_logins_are_throttled(server):
    url, _ = server
    with httpx.Client() as client:
        codes = [
            client.post(f"{url}/login", data={"username": USER, "password": f"wrong{i}"}).status_code
            for i in range(LOGIN_FREE_TRIES + 3)
        ]
        right = client.post(f"{url}/login", data={"username": USER, "password": PASSWORD})
    assert codes[:LOGIN_FREE_TRIES] == [400] * LOGIN_FREE_TRIES and set(codes[LOGIN_FREE_TRIES:]) == {429}
    assert right.status_code == 429 and "try again in" in right.text  # even the right password waits


@pytest.fixture
def fresh_server(tutor):
    """A server of its own, so no other test's failures count against it."""
    from ui.app import build_app
    from ui.server import launch

    demo = build_app(tutor)
    launch(demo, "127.0.0.1", None, (USER, PASSWORD), prevent_thread_lock=True)
    yield demo.local_url.rstrip("/")
    demo.close()


def test_a_changing_forwarded_header_does_not_reset_the_throttle(fresh_server):
    url = fresh_server
    with httpx.Client() as client:
        codes = [
            client.post(
                f"{url}/login",
                data={"username": f"nobody{i}", "password": "wrong-password"},
                headers={"X-Forwarded-For": f"10.0.0.{i}"},  # a new "address" each time, a new account too
            ).status_code
            for i in range(LOGIN_FREE_TRIES + 2)
        ]
        right = client.post(
            f"{url}/login", data={"username": USER, "password": PASSWORD}, headers={"X-Forwarded-For": "10.9.9.9"}
        )
    assert codes[:LOGIN_FREE_TRIES] == [400] * LOGIN_FREE_TRIES and set(codes[LOGIN_FREE_TRIES:]) == {429}
    assert right.status_code == 429  # the connection's address is locked out, whatever the header says


def test_a_locked_account_refuses_the_right_password_from_any_address(fresh_server):
    url = fresh_server

    def login(address: str, password: str) -> int:
        with httpx.Client(transport=httpx.HTTPTransport(local_address=address)) as c:
            return c.post(f"{url}/login", data={"username": USER, "password": password}).status_code

    # every try from another loopback address (127.0.0.0/8), so no address reaches the limit on its own
    codes = [login(f"127.0.0.{i + 2}", f"wrong{i}") for i in range(LOGIN_FREE_TRIES + 1)]
    assert codes[:LOGIN_FREE_TRIES] == [400] * LOGIN_FREE_TRIES and codes[-1] == 429
    assert login("127.0.0.40", PASSWORD) == 429  # the account waits, even with the right password
    assert login("127.0.0.41", "wrong") == 429


def test_a_forwarded_address_counts_only_from_a_trusted_proxy():
    assert client_address("127.0.0.1", "10.0.0.7", []) == "127.0.0.1"  # nobody trusted: the connection
    assert client_address("203.0.113.5", "10.0.0.7", ["127.0.0.1"]) == "203.0.113.5"  # not the proxy
    assert client_address("127.0.0.1", "10.0.0.7", ["127.0.0.1"]) == "10.0.0.7"
    # a client's own forged entry sits left of what the proxy appended: the right-most untrusted one wins
    assert client_address("127.0.0.1", "1.2.3.4, 10.0.0.7", ["127.0.0.0/8"]) == "10.0.0.7"
    assert client_address("127.0.0.1", "10.0.0.7, 192.168.1.2", ["127.0.0.1", "192.168.0.0/16"]) == "10.0.0.7"


def test_teacher_credentials_without_auth_are_refused_and_the_rule_is_said():
    with pytest.raises(ConfigError, match="needs --auth"):
        teacher_rule(None, "teacher:teacherpass1")
    assert "only for 'teacher'" in teacher_rule("ada:correct-horse", "teacher:teacherpass1")
    assert "locked" in teacher_rule("ada:correct-horse", None)
    assert "open" in teacher_rule(None, None)


def test_serve_with_teacher_auth_alone_refuses_to_start(tmp_path):
    """The probe's command: `tutor serve --teacher-auth teacher:teacherpass1` and no --auth. It must stop
    with one line before anything listens; should it serve instead, the anonymous re-index call is tried."""
    port = free_port()
    cmd = [sys.executable, "-m", "tutor.cli", "serve", "--teacher-auth", "teacher:teacherpass1",
           "--index", str(tmp_path / "idx"), "--lessons", str(ROOT / "corpus"), "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        while proc.poll() is None and time.monotonic() < deadline:
            try:  # it listens: the teacher's re-index must not answer an anonymous client
                r = httpx.post(f"http://127.0.0.1:{port}/gradio_api/call/reindex", json={"data": []}, timeout=5)
                pytest.fail(f"served with the teacher page open to anonymous clients: {r.status_code} {r.text[:200]}")
            except httpx.TransportError:
                time.sleep(0.5)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 2 and "needs --auth" in err and "Traceback" not in err, err
    assert len([x for x in err.splitlines() if x.startswith("error:")]) == 1


def test_login_throttle_waits_grow_and_a_success_forgets():
    now = [0.0]
    t = LoginThrottle(clock=lambda: now[0])
    for _ in range(LOGIN_FREE_TRIES):
        assert t.wait_s("1.2.3.4") == 0
        t.failed("1.2.3.4")
    first = t.wait_s("1.2.3.4")
    assert first > 0 and t.wait_s("5.6.7.8") == 0  # per client
    now[0] += first
    t.failed("1.2.3.4")
    assert t.wait_s("1.2.3.4") > first  # each further failure doubles the wait
    t.succeeded("1.2.3.4")
    assert t.wait_s("1.2.3.4") == 0


def test_short_passwords_are_refused():
    for bad in ("ada:x", "ada:1234567"):
        with pytest.raises(ConfigError, match="at least 8"):
            parse_auth(bad)
    assert parse_auth("ada:12345678") == ("ada", "12345678")


def test_host_and_origin_rules():
    assert {"127.0.0.1", "localhost", "::1"} <= set(allowed_hosts("127.0.0.1"))
    assert "evil.example" not in allowed_hosts("127.0.0.1") and "tutor.lan" in allowed_hosts("10.0.0.5", ["tutor.lan"])
    assert "localhost" not in allowed_hosts("10.0.0.5")
    assert host_of("[::1]:7860") == "::1" and host_of("Example.org:80") == "example.org"
    assert same_origin("http://127.0.0.1:7860", "127.0.0.1:7860")
    for origin in ("null", "http://127.0.0.1:7861", "http://attacker.example:7860", "file://x"):
        assert not same_origin(origin, "127.0.0.1:7860")


# --- no remote images, in a real browser ------------------------------------------------------------------
@pytest.mark.browser
def test_a_chat_message_cannot_make_the_browser_fetch_a_url(tutor):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from pathlib import Path

    from tests.browser import ARGS, CHROMIUM
    from tests.test_browser import ANSWER_TIMEOUT_S, LAST_USER
    from ui.app import build_app
    from ui.server import launch

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    hits: list[str] = []

    class Tracker(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server name)
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/gif")
            self.end_headers()
            self.wfile.write(b"GIF89a")

        def log_message(self, *args):
            pass

    tracker = ThreadingHTTPServer(("127.0.0.1", 0), Tracker)
    threading.Thread(target=tracker.serve_forever, daemon=True).start()
    track = f"http://127.0.0.1:{tracker.server_address[1]}"
    demo = build_app(tutor)
    launch(demo, "127.0.0.1", None, None, prevent_thread_lock=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            page.goto(demo.local_url, wait_until="domcontentloaded")
            page.wait_for_selector("#question textarea", timeout=60_000)
            page.fill("#question textarea", f"![t]({track}/track.png) zzqx")
            page.click("#ask")
            page.wait_for_function(f"() => ({LAST_USER})().includes('zzqx')", timeout=ANSWER_TIMEOUT_S * 1000)
            page.wait_for_timeout(1500)
            assert hits == []  # the message shows as text, and nothing was fetched
            # whatever renderer puts a remote image in the page one day, the page's CSP keeps it unloaded
            page.evaluate(
                f"() => document.querySelector('#chat').insertAdjacentHTML('beforeend', "
                f"'<img id=probe src=\"{track}/injected.png\">')"
            )
            page.wait_for_timeout(1500)
            assert page.evaluate("() => document.getElementById('probe') !== null") and hits == []
            page.goto(f"{track}/control.png")  # the tracker does see a fetch the page itself did not make
            # the browser may ask that foreign origin for its favicon too; that request is its own, not the page's
            assert [h for h in hits if h != "/favicon.ico"] == ["/control.png"]
            browser.close()
    finally:
        demo.close()
        tracker.shutdown()
