"""One HTTP client factory and one guarded GET for feeds and article pages.

Guards, all enforced here so no caller can forget one:

* timeouts: connect / read from ``[fetch]``, and one deadline of ``[fetch] timeout``
  for the whole response, redirects and headers included, enforced on every
  socket read, so a server that trickles bytes cannot hold a fetch longer
  (``DeadlineBackend`` under the client made by ``make_client``);
* a body-size cap counted on *decoded* bytes while streaming, so neither a huge
  page nor a gzip bomb is ever held in memory (gzip/deflate are decoded here
  with a bounded output size instead of by httpx);
* redirects followed by hand, at most ``max_redirects``, each hop re-checked;
* refusal of private, loopback, link-local and reserved addresses, checked on
  every address the host name resolves to, unless ``allow_private_addresses``
  allows it (``True`` or a tuple of networks containing the address).

Known gap: the address is checked, then httpx resolves again to connect, so a
DNS server that answers differently within milliseconds (rebinding) is not
stopped. Pinning the connection to the checked address needs a custom
transport; the feeds we poll are configured by the operator.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import zlib
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from tracker.config import FetchConfig
from tracker.errors import BlockedAddressError, FetchError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

REDIRECT_CODES = {301, 302, 303, 307, 308}
PERMANENT_REDIRECT_CODES = {301, 308}
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class HttpResult:
    """The outcome of one guarded GET (any status, including 304 and 4xx/5xx)."""

    requested_url: str
    url: str  # after redirects
    status: int
    headers: httpx.Headers
    content: bytes = b""
    # The URL reached through permanent redirects only (301/308) from the
    # start, when there was at least one: the address to store from now on.
    permanent_url: str | None = None
    redirects: tuple[str, ...] = field(default_factory=tuple)

    @property
    def content_type(self) -> str | None:
        value = self.headers.get("content-type")
        return value.split(";", 1)[0].strip().lower() if value else None

    @property
    def charset(self) -> str | None:
        value = self.headers.get("content-type") or ""
        for part in value.split(";")[1:]:
            key, _, val = part.partition("=")
            if key.strip().lower() == "charset" and val.strip():
                return val.strip().strip('"').lower()
        return None


# -- one deadline per response, enforced on every socket operation -------------------

_deadline = threading.local()


@contextmanager
def response_deadline(seconds: float) -> Iterator[None]:
    """Bound every socket operation of this thread's requests to ``seconds`` from now, in total."""
    previous = getattr(_deadline, "at", None)
    _deadline.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _deadline.at = previous


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """The socket timeout for one operation: at most what is left of the deadline."""
    at = getattr(_deadline, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error("the response deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname,
                                                     _bounded(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend with every read, write and connect bounded by ``response_deadline``."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options=None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_tcp(host, port, _bounded(timeout, httpcore.ConnectTimeout),
                                                       local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):
        return self._inner.connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def make_transport() -> httpx.HTTPTransport:
    """httpx's transport over ``DeadlineBackend`` (httpx has no total timeout of its own)."""
    transport = httpx.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    if isinstance(pool, httpcore.ConnectionPool):
        pool._network_backend = DeadlineBackend(pool._network_backend)
    return transport


def make_client(fetch: FetchConfig, *, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An httpx client with the tracker's timeouts and user agent.

    Redirects are not followed by the client: ``guarded_get`` follows them so
    every hop passes the address guard. ``trust_env=False`` because an
    environment proxy would resolve names where the guard cannot see.
    """
    return httpx.Client(
        timeout=httpx.Timeout(fetch.timeout_s, connect=fetch.connect_timeout_s),
        headers={"User-Agent": fetch.user_agent, "Accept-Encoding": "gzip, deflate"},
        follow_redirects=False,
        trust_env=False,
        transport=transport or make_transport(),
    )


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def address_kind(addr: Address) -> str | None:
    """Why an address is refused ('loopback', 'link-local'...), or None if public."""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    for kind, flag in (("loopback", addr.is_loopback), ("link-local", addr.is_link_local),
                       ("multicast", addr.is_multicast), ("unspecified", addr.is_unspecified),
                       ("private", addr.is_private), ("reserved", addr.is_reserved)):
        if flag:
            return kind
    return None if addr.is_global else "non-global"


def _allowed(addr: Address, allow: bool | tuple) -> bool:
    if allow is True:
        return True
    if not allow:
        return False
    return any(addr.version == net.version and addr in net for net in allow)


def check_url(url: str, fetch: FetchConfig, *, resolver: Resolver | None = None) -> None:
    """Raise BlockedAddressError if any address of the URL's host is refused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"GET {url}: not an http(s) URL; only http and https are fetched", reason="bad-url")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError(f"GET {url}: the port is not a number", reason="bad-url") from None
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in (resolver or system_resolver)(host, port)]
        except (OSError, UnicodeError) as exc:
            raise FetchError(f"GET {url}: cannot resolve host {host!r} ({exc})", reason="dns") from None
    for addr in addresses:
        kind = address_kind(addr)
        if kind and not _allowed(addr, fetch.allow_private_addresses):
            prefix = 32 if addr.version == 4 else 128
            raise BlockedAddressError(
                f"refused to fetch {url}: host {host} resolves to {addr}, a {kind} address; "
                f"to allow it set allow_private_addresses = [\"{addr}/{prefix}\"] (or true) "
                "in the [fetch] table of the config",
            )


def guarded_get(
    client: httpx.Client,
    url: str,
    fetch: FetchConfig,
    *,
    headers: dict[str, str] | None = None,
    resolver: Resolver | None = None,
) -> HttpResult:
    """GET ``url`` through every guard; return the final response, whatever its status.

    The whole exchange, redirects included, gets ``[fetch] timeout`` seconds.
    The body is read only for 2xx answers. Raises FetchError with reason
    ``timeout``, ``connect``, ``too-large``, ``too-many-redirects``,
    ``bad-url``, ``dns``, ``bad-encoding`` or ``network``, or
    BlockedAddressError.
    """
    deadline = time.monotonic() + fetch.timeout_s
    with response_deadline(fetch.timeout_s):
        return _get(client, url, fetch, headers=headers, resolver=resolver, deadline=deadline)


def _get(client: httpx.Client, url: str, fetch: FetchConfig, *, headers: dict[str, str] | None,
         resolver: Resolver | None, deadline: float) -> HttpResult:
    start = url
    current = url
    redirects: list[str] = []
    permanent_url: str | None = None
    still_permanent = True
    while True:
        check_url(current, fetch, resolver=resolver)
        try:
            request = client.build_request("GET", current, headers=headers)
            response = client.send(request, stream=True)
        except httpx.TimeoutException:
            raise FetchError(
                f"GET {current}: timed out after {fetch.timeout_s:g}s; the server is slow or down "
                "(raise [fetch] timeout if it is only slow)", reason="timeout") from None
        except httpx.ConnectError as exc:
            raise FetchError(f"GET {current}: cannot connect ({exc})", reason="connect") from None
        except httpx.InvalidURL as exc:
            raise FetchError(f"GET {current}: invalid URL ({exc})", reason="bad-url") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"GET {current}: {type(exc).__name__}: {exc}", reason="network") from None
        try:
            location = response.headers.get("location")
            if response.status_code in REDIRECT_CODES and location:
                if len(redirects) >= fetch.max_redirects:
                    raise FetchError(
                        f"GET {start}: more than {fetch.max_redirects} redirects (last to {location}); "
                        "the site loops or [fetch] max_redirects is too low", reason="too-many-redirects")
                target = urljoin(current, location.strip())
                if still_permanent and response.status_code in PERMANENT_REDIRECT_CODES:
                    permanent_url = target
                else:
                    still_permanent = False
                redirects.append(target)
                current = target
                continue
            content = b""
            if 200 <= response.status_code < 300:
                content = _read_capped(response, current, fetch, deadline)
            return HttpResult(
                requested_url=start, url=current, status=response.status_code,
                headers=response.headers, content=content, permanent_url=permanent_url,
                redirects=tuple(redirects),
            )
        finally:
            response.close()


def _read_capped(response: httpx.Response, url: str, fetch: FetchConfig, deadline: float) -> bytes:
    cap = fetch.max_body_bytes
    encoding = (response.headers.get("content-encoding") or "identity").strip().lower()
    if encoding in ("identity", ""):
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise _too_large(url, cap, f"it declares {int(declared)} bytes")
        decoder: _Decoder = _Identity()
    elif encoding in ("gzip", "x-gzip", "deflate"):
        decoder = _Zlib(encoding)
    else:
        raise FetchError(f"GET {url}: unsupported Content-Encoding {encoding!r}", reason="bad-encoding")
    parts: list[bytes] = []
    size = 0
    try:
        for raw in response.iter_raw(_CHUNK):
            for piece in decoder.feed(raw, room=cap - size + 1):
                size += len(piece)
                if size > cap:
                    raise _too_large(url, cap, "the decoded body is larger")
                parts.append(piece)
            if time.monotonic() > deadline:
                raise FetchError(
                    f"GET {url}: the body took longer than {fetch.timeout_s:g}s; the server is slow "
                    "(raise [fetch] timeout if it is only slow)", reason="timeout")
    except httpx.TimeoutException:
        raise FetchError(
            f"GET {url}: timed out after {fetch.timeout_s:g}s while reading the body", reason="timeout") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"GET {url}: {type(exc).__name__} while reading the body: {exc}", reason="network") from None
    except zlib.error as exc:
        raise FetchError(f"GET {url}: broken {encoding} body ({exc})", reason="bad-encoding") from None
    return b"".join(parts)


def _too_large(url: str, cap: int, detail: str) -> FetchError:
    return FetchError(
        f"GET {url}: body exceeds [fetch] max_body_bytes = {cap} ({detail}); "
        "raise max_body_bytes if this source is legitimately large", reason="too-large")


class _Decoder:
    def feed(self, raw: bytes, *, room: int) -> Iterator[bytes]:
        raise NotImplementedError


class _Identity(_Decoder):
    def feed(self, raw: bytes, *, room: int) -> Iterator[bytes]:
        yield raw


class _Zlib(_Decoder):
    """Decompress with a bounded output per call, so a bomb never inflates past the cap."""

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        self._obj = zlib.decompressobj(zlib.MAX_WBITS if self._deflate else zlib.MAX_WBITS | 16)
        self._first = True

    def feed(self, raw: bytes, *, room: int) -> Iterator[bytes]:
        data = raw
        while data:
            try:
                out = self._obj.decompress(data, max(room, 1))
            except zlib.error:
                if not (self._deflate and self._first):
                    raise
                # Some servers send raw deflate without the zlib header.
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                self._first = False
                continue
            self._first = False
            room -= len(out)
            yield out
            data = self._obj.unconsumed_tail
            if self._obj.eof:
                return


class HostLimiter:
    """At most ``per_host`` requests in flight to one host (``[fetch] per_host_concurrency``)."""

    def __init__(self, per_host: int) -> None:
        self._per_host = max(1, per_host)
        self._lock = threading.Lock()
        self._semaphores: dict[str, threading.Semaphore] = defaultdict(lambda: threading.Semaphore(self._per_host))

    @contextmanager
    def hold(self, url: str) -> Iterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            semaphore = self._semaphores[host]
        with semaphore:
            yield
