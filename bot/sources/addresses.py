"""Which URLs may be fetched: http(s) only, to hosts whose every address is public (or private when the
operator allows it), never link-local, multicast or reserved ones.

A host name is resolved once here and the connection is made to the address that was checked (see
http.py), so a name that resolves to a public address now and a private one a moment later (DNS
rebinding) can't slip through between the check and the connection.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.errors import FetchFailed, SourceRefused

SCHEMES = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Target:
    """Where a URL's request goes: the checked address, and the host name for Host, SNI and certificates."""

    scheme: str
    host: str
    port: int
    address: str
    path: str  # path and query, as sent in the request line


PRIVATE_HINT = " (set QABOT_SOURCES_ALLOW_PRIVATE=true to allow it)"


def address_refusal(address: str, allow_private: bool) -> str | None:
    """Why a connection to `address` is refused ("10.0.0.1 is a private address (set …)"), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 one reaches that IPv4 address: ::ffff:10.0.0.1 is 10.0.0.1, and
        # 6to4 (2002:a9fe:a9fe::) and Teredo addresses are routed to the one they embed.
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        else:
            embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
            reason = address_refusal(str(embedded), allow_private) if embedded is not None else None
            if reason is not None:
                return f"{ip} embeds {embedded}, and {reason}"
    # Cloud metadata services answer on link-local addresses: never a documentation site.
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return f"{ip} is a link-local, multicast or reserved address"
    if ip.is_global or allow_private:
        return None
    return f"{ip} is a {'loopback' if ip.is_loopback else 'private'} address{PRIVATE_HINT}"


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; SourceRefused for any other kind of location."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise SourceRefused(url, f"not a valid URL ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise SourceRefused(url, f"only http and https URLs can be fetched, not {scheme or 'a bare path'}:")
    if parts.username is not None or parts.password is not None:
        raise SourceRefused(url, "a URL with a user name or password in it is not accepted")
    if not parts.hostname:
        raise SourceRefused(url, "the URL has no host")
    return scheme, _ascii_host(url, parts.hostname), port or SCHEMES[scheme]


def _ascii_host(url: str, host: str) -> str:
    """The host as DNS, the Host header, TLS SNI and certificates spell it: `bücher.example` is
    `xn--bcher-kva.example` (sent as it was, it is no valid header, and was an encoding error)."""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise SourceRefused(url, f"{host!r} is not a valid host name ({error})") from None


def resolve(url: str, allow_private: bool) -> Target:
    """The checked target of `url`: refused when any of the host's addresses is not allowed (a name
    with one public and one private address could be steered to the private one)."""
    scheme, host, port = check_url(url)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchFailed(url, f"can't resolve {host} ({error})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    for address in addresses:
        reason = address_refusal(address, allow_private)
        if reason is not None:
            literal = host.strip("[]") == address
            raise SourceRefused(
                url, reason if literal else f"{host} resolves to an address it may not: {reason}"
            )
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, addresses[0], path)
