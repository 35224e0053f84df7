"""Email alerts over real TLS: STARTTLS and implicit TLS against aiosmtpd on
127.0.0.1, with certificates issued by a throwaway CA (trustme)."""

from __future__ import annotations

import ssl

import pytest
import trustme

from tests.alerts_rows import NEW_SENTENCE, add_shift, alert_rows
from tests.conftest import write_config
from tests.smtp_sink import SmtpSink
from tracker.alerts import deliver_due
from tracker.clock import FixedClock
from tracker.config import load_config
from tracker.errors import ConfigError

START = "2025-03-02T09:00:00+00:00"


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def server_context(ca):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


def tls_config(tmp_path, port: int, security: str, ca_file: str | None):
    trust = f'ca_file = "{ca_file}"\n' if ca_file else ""
    body = f"""
[alerts]
backoff = 60
max_attempts = 3

[[alerts.channel]]
name = "desk"
kind = "email"
host = "127.0.0.1"
port = {port}
security = "{security}"
from = "tracker@example.org"
to = ["desk@example.org"]
timeout = 5
{trust}"""
    return load_config(write_config(tmp_path, body))


@pytest.mark.parametrize("security, implicit", [("starttls", False), ("ssl", True)], ids=["starttls", "implicit-tls"])
def test_mail_goes_over_verified_tls(tmp_path, db, ca, server_context, security, implicit):
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with SmtpSink(tls_context=server_context, implicit_tls=implicit) as sink:
        config = tls_config(tmp_path, sink.port, security, str(ca_file))
        add_shift(db)
        assert deliver_due(db, config, clock=FixedClock(START)) == 1
    assert len(sink.messages) == 1
    assert NEW_SENTENCE in sink.messages[0].get_body(("plain",)).get_content()


def test_untrusted_certificate_is_refused_and_the_alert_stays_pending(tmp_path, db, server_context):
    with SmtpSink(tls_context=server_context) as sink:
        config = tls_config(tmp_path, sink.port, "starttls", None)  # system CAs do not know the test CA
        add_shift(db)
        assert deliver_due(db, config, clock=FixedClock(START)) == 0
    assert sink.messages == []
    [row] = alert_rows(db)
    assert row["status"] == "pending"
    assert "CERTIFICATE_VERIFY_FAILED" in row["last_error"]


def test_ca_file_without_tls_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="has 'ca_file' but security = \"none\""):
        tls_config(tmp_path, 2525, "none", "/etc/ca.pem")
