"""Who may reach the web UI: loopback is open, any other address needs `user:password` credentials.

Pure functions, so the rule is tested without starting a server.
"""

from __future__ import annotations

import ipaddress

from tutor.errors import ConfigError


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
        raise ConfigError("credentials must look like user:password: pass --auth user:password "
                          "or set TUTOR_AUTH")
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
