"""The guarded GET against a real server on 127.0.0.1."""

from __future__ import annotations

import gzip
import ipaddress

import pytest

from tests.localserver import Response
from tracker.config import FetchConfig
from tracker.errors import BlockedAddressError, FetchError
from tracker.http import check_url, guarded_get, make_client

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)


def fetch_config(**overrides) -> FetchConfig:
    values = dict(timeout_s=5.0, connect_timeout_s=2.0, allow_private_addresses=LOOPBACK)
    values.update(overrides)
    return FetchConfig(**values)


def get(url: str, config: FetchConfig, **kwargs):
    with make_client(config) as client:
        return guarded_get(client, url, config, **kwargs)


def test_plain_get_sends_user_agent_and_returns_body(server):
    url = server.add("/page", body=b"<p>hello</p>")
    result = get(url, fetch_config(user_agent="tracker-test/1"))
    assert (result.status, result.content, result.url) == (200, b"<p>hello</p>", url)
    assert server.requests[0][2]["User-Agent"] == "tracker-test/1"


def test_loopback_is_refused_by_default_with_a_message_naming_url_address_and_key(server):
    url = server.add("/page", body=b"secret")
    with pytest.raises(BlockedAddressError) as info:
        get(url, fetch_config(allow_private_addresses=False))
    assert info.value.reason == "blocked-address"
    assert str(info.value) == (
        f"refused to fetch {url}: host 127.0.0.1 resolves to 127.0.0.1, a loopback address; "
        'to allow it set allow_private_addresses = ["127.0.0.1/32"] (or true) in the [fetch] table of the config'
    )
    assert server.requests == []  # refused before any connection


def test_link_local_is_refused_even_when_loopback_is_allowed():
    with pytest.raises(BlockedAddressError, match=r"169\.254\.169\.254, a link-local address"):
        get("http://169.254.169.254/latest/meta-data/", fetch_config())


def test_every_resolved_address_is_checked():
    config = fetch_config(allow_private_addresses=False)
    resolver = lambda host, port: ["93.184.216.34", "10.1.2.3"]  # noqa: E731  (one public, one private)
    with pytest.raises(BlockedAddressError, match=r"host news\.example resolves to 10\.1\.2\.3, a private address"):
        check_url("https://news.example/a", config, resolver=resolver)
    check_url("https://news.example/a", fetch_config(allow_private_addresses=True), resolver=resolver)


def test_a_host_name_is_resolved_with_getaddrinfo():
    with pytest.raises(BlockedAddressError, match="host localhost resolves to"):
        check_url("http://localhost:9/x", fetch_config(allow_private_addresses=False))


def test_redirect_target_is_rechecked(server):
    url = server.add("/hop", status=302, headers={"Location": "http://169.254.169.254/latest/"})
    with pytest.raises(BlockedAddressError, match="169.254.169.254"):
        get(url, fetch_config())
    assert server.hits("/hop") == 1


def test_redirects_are_limited(server):
    for n in range(5):
        server.add(f"/r{n}", status=302, headers={"Location": f"/r{n + 1}"})
    server.add("/r5", body=b"end")
    assert get(server.url("/r0"), fetch_config(max_redirects=5)).content == b"end"
    hits_before = server.hits("/r3")
    with pytest.raises(FetchError) as info:
        get(server.url("/r0"), fetch_config(max_redirects=2))
    assert info.value.reason == "too-many-redirects"
    assert server.hits("/r3") == hits_before  # the third hop is never requested


def test_permanent_url_follows_only_permanent_hops(server):
    server.add("/old", status=301, headers={"Location": "/newer"})
    server.add("/newer", status=308, headers={"Location": "/newest"})
    server.add("/newest", body=b"ok")
    server.add("/temp", status=302, headers={"Location": "/newest"})
    moved = get(server.url("/old"), fetch_config())
    assert moved.permanent_url == server.url("/newest")
    assert moved.redirects == (server.url("/newer"), server.url("/newest"))
    assert get(server.url("/temp"), fetch_config()).permanent_url is None


def test_declared_body_over_the_cap_is_refused(server):
    url = server.add("/big", body=b"x" * 10_000)
    with pytest.raises(FetchError) as info:
        get(url, fetch_config(max_body_bytes=5_000))
    assert info.value.reason == "too-large"
    assert "max_body_bytes = 5000" in str(info.value)


def test_gzip_is_decoded_and_a_gzip_bomb_is_stopped_at_the_cap(server):
    text = b"<p>" + b"Ukraine " * 2000 + b"</p>"
    server.add("/gz", body=gzip.compress(text), headers={"Content-Encoding": "gzip"})
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    server.add("/bomb", body=bomb, headers={"Content-Encoding": "gzip"})
    assert get(server.url("/gz"), fetch_config()).content == text
    with pytest.raises(FetchError) as info:
        get(server.url("/bomb"), fetch_config(max_body_bytes=1_000_000))
    assert info.value.reason == "too-large"
    assert "decoded body" in str(info.value)


def test_slow_server_times_out(server):
    url = server.add("/slow", Response(body=b"late", delay=1.0))
    with pytest.raises(FetchError) as info:
        get(url, fetch_config(timeout_s=0.2))
    assert info.value.reason == "timeout"
    assert str(info.value).startswith(f"GET {url}: timed out after 0.2s")


def test_error_status_is_returned_not_raised(server):
    url = server.add("/err", status=503, body=b"busy", headers={"Retry-After": "120"})
    result = get(url, fetch_config())
    assert (result.status, result.content, result.headers["retry-after"]) == (503, b"", "120")


def test_conditional_headers_give_304(server):
    url = server.add("/feed", body=b"<rss/>")
    first = get(url, fetch_config())
    second = get(url, fetch_config(), headers={"If-None-Match": first.headers["etag"]})
    assert second.status == 304
