"""The address browsers use to reach `rolodex serve`, and the origin it admits."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from rolodex.i18n import _

DEFAULT_PORTS = {"http": 80, "https": 443}
WILDCARD_HOSTS = {"", "0.0.0.0", "::", "*"}


class AddressError(ValueError):
    """A --host/--public-url combination that cannot be served; the message says why."""


@dataclass(frozen=True)
class PublicAddress:
    """Where the page tells the browser to fetch its files and open its WebSocket."""

    scheme: str
    host: str  # lower case, without IPv6 brackets
    port: int
    path: str  # "" or a prefix such as "/crm" added by a reverse proxy

    @property
    def secure(self) -> bool:
        return self.scheme == "https"

    @property
    def origin(self) -> str:
        """The `Origin` header a browser sends from a page at this address."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == DEFAULT_PORTS[self.scheme]:
            return f"{self.scheme}://{host}"
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash (textual-serve's `public_url`)."""
        return self.origin + self.path


def parse_public_url(text: str) -> PublicAddress:
    """An http(s) URL naming a host, with an optional path prefix and nothing else."""
    parts = urlsplit(text.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (
        scheme not in DEFAULT_PORTS
        or not parts.hostname
        or port == -1
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        raise AddressError(
            _("--public-url must be an http:// or https:// address such as {example}").format(
                example="http://crm.example:8000"
            )
        )
    return PublicAddress(
        scheme=scheme,
        host=parts.hostname.lower(),
        port=port if port is not None else DEFAULT_PORTS[scheme],
        path=parts.path.rstrip("/"),
    )


def is_wildcard(host: str) -> bool:
    """0.0.0.0 and :: listen on every address: no browser can be sent there."""
    return host in WILDCARD_HOSTS


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_address(host: str, port: int, public_url: str | None) -> PublicAddress:
    """--public-url when given, else the address the server listens on."""
    if public_url:
        return parse_public_url(public_url)
    if is_wildcard(host):
        raise AddressError(
            _(
                "--host {host} listens on every address; give --public-url with the address "
                "browsers use, e.g. --public-url http://crm.example:{port}"
            ).format(host=host, port=port)
        )
    return PublicAddress(scheme="http", host=host.lower().strip("[]"), port=port, path="")


def origin_of(header: str) -> tuple[str, str, int] | None:
    """An Origin header as (scheme, host, port), or None when it is not an http(s) origin."""
    parts = urlsplit(header.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return None
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return None
    return scheme, parts.hostname.lower(), port if port is not None else DEFAULT_PORTS[scheme]


def admits_origin(address: PublicAddress, header: str | None) -> bool:
    """True when a page served from `address` sent this Origin header."""
    if not header:
        return False
    return origin_of(header) == (address.scheme, address.host, address.port)
