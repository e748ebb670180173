"""Serving a built page: `launch` starts Gradio's server with the page behind the web edge (`edge`).

The edge's rules (allowed hosts, same origin only, the login throttle) are ui/access.py's; this module puts
them, with Starlette's Host check, in front of everything Gradio serves. Uvicorn's own X-Forwarded-For
rewrite (it trusts any proxy on 127.0.0.1) is taken off, so the edge sees the connection's address and trusts
a forwarded one only from the proxies the operator names (`trusted_proxies`). ui/app.py builds the page, and its
`serve` (`tutor serve`) launches it here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from starlette.middleware.trustedhost import TrustedHostMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ui.access import LoginThrottle, SameOriginOnly, ThrottleLogins, allowed_hosts

if TYPE_CHECKING:  # the page is ui/app.py's; launching it only calls its methods
    import gradio as gr


def launch(
    demo: gr.Blocks,
    host: str,
    port: int | None,
    credentials: tuple[str, str] | None,
    extra_hosts: Sequence[str] = (),
    trusted_proxies: Sequence[str] = (),
    **kw: Any,
) -> Any:
    """Start the server (port None: the first free one from 7860); never a public share link. Every request
    passes `edge` first. `prevent_thread_lock=True` in `kw` returns at once; the URL is then `demo.local_url`."""
    kw.setdefault("quiet", True)
    kw.setdefault("i18n", getattr(demo, "tutor_i18n", None))  # the page's words in the browser's language
    kw.setdefault("css", getattr(demo, "tutor_css", None))  # the page's style and script, which Gradio 6 takes
    kw.setdefault("js", getattr(demo, "tutor_js", None))  # here rather than in gr.Blocks
    block = not kw.pop("prevent_thread_lock", False)
    started = demo.launch(
        server_name=host,
        server_port=port,
        auth=credentials,
        share=False,
        show_error=True,
        ssr_mode=False,
        strict_cors=True,
        prevent_thread_lock=True,
        **kw,
    )
    app = demo.server_app  # the edge goes outside everything Gradio put in, its CORS answers included
    app.middleware_stack = edge(
        app.middleware_stack or app.build_middleware_stack(), host, extra_hosts, trusted_proxies
    )
    config = demo.server.config  # new connections take `loaded_app` from here
    while isinstance(config.loaded_app, ProxyHeadersMiddleware):
        config.loaded_app = config.loaded_app.app
    if block:
        demo.block_thread()
    return started


def edge(app: Any, host: str, extra_hosts: Sequence[str] = (), trusted_proxies: Sequence[str] = ()) -> Any:
    """`app` behind the web edge: the request's Host must be one this server answers to (Starlette's
    TrustedHostMiddleware: no DNS rebinding), its Origin the page's own (no other site's page may use it,
    preflights included), remote images are off (CSP), and failed logins are throttled per client address
    and per account (ui/access.py)."""
    hosts = allowed_hosts(host, extra_hosts)
    hosts += [f"[{h}]" for h in hosts if ":" in h]  # IPv6 literals as they appear in a Host header
    inner = SameOriginOnly(ThrottleLogins(app, LoginThrottle(), trusted_proxies))
    return TrustedHostMiddleware(inner, allowed_hosts=hosts, www_redirect=False)
