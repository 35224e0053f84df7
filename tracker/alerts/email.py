"""The ``email`` channel: smtplib with STARTTLS, implicit TLS or plain SMTP.

The Message-ID is derived from the idempotency key, so a resent alert has
the same Message-ID and a mail client or a filter can drop the duplicate.
The password is read from the environment variable named by
``password_env`` at send time and never leaves this function.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from tracker.alerts.base import Channel, Kind, SendContext, env_name, read_secret, string_list
from tracker.alerts.render import Message
from tracker.config import Table
from tracker.errors import AlertError, ConfigError

log = logging.getLogger(__name__)

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
KEYS = frozenset({"host", "port", "security", "user", "password_env", "from", "to", "ca_file"})
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._+=-]")


@dataclass(frozen=True)
class EmailSettings:
    host: str
    port: int
    security: str
    sender: str
    to: tuple[str, ...]
    user: str | None = None
    password_env: str | None = None
    ca_file: str | None = None  # PEM bundle to trust instead of the system's (an internal relay's CA)


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse(t: Table) -> EmailSettings:
    security = t.get("security", str, "starttls", example='"starttls"')
    if security not in SECURITY:
        raise ConfigError(f"{t.where} key 'security' is {security!r}; known values: {', '.join(SECURITY)}")
    port = t.get("port", int, DEFAULT_PORTS[security], example="587")
    if not 0 < port < 65536:
        raise ConfigError(f"{t.where} key 'port' is {port!r}; use a TCP port such as 587")
    sender = t.get("from", str, required=True, example='"tracker@example.org"')
    to = string_list(t, "to", [], example='["desk@example.org"]')
    if not to:
        raise ConfigError(f"{t.where} has no 'to'; add to = [\"desk@example.org\"]")
    for address in [sender, *to]:
        if "@" not in address:
            raise ConfigError(f"{t.where} address {address!r} is not an email address; use name@domain")
    user = t.get("user", str, None, example='"tracker@example.org"')
    password_env = env_name(t, "password_env")
    if user and not password_env:
        raise ConfigError(
            f"{t.where} has 'user' but no 'password_env'; add password_env = \"TRACKER_SMTP_PASSWORD\" "
            "and export that variable"
        )
    host = t.get("host", str, required=True, example='"smtp.example.org"')
    if user and security == "none" and not _loopback(host):
        raise ConfigError(
            f"{t.where} has 'user' with security = \"none\", which would send the password in clear to {host}; "
            "use security = \"starttls\" or \"ssl\" (only a relay on this machine, such as host = "
            "\"127.0.0.1\", may be used without TLS)")
    ca_file = t.get("ca_file", str, None, example='"/etc/tracker/relay-ca.pem"')
    if ca_file is not None and security == "none":
        raise ConfigError(f"{t.where} has 'ca_file' but security = \"none\"; use \"starttls\" or \"ssl\"")
    return EmailSettings(
        host=host,
        port=port, security=security, sender=sender, to=tuple(to), user=user, password_env=password_env,
        ca_file=ca_file,
    )


def message_id(key: str, sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1].strip(">") or "tracker"
    return f"<{_UNSAFE_ID.sub('.', key)}@{domain}>"


def build(channel: Channel, message: Message, context: SendContext) -> EmailMessage:
    s: EmailSettings = channel.settings
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = s.sender
    mail["To"] = ", ".join(s.to)
    mail["Date"] = format_datetime(context.clock.now())
    mail["Message-ID"] = message_id(message.key, s.sender)
    mail["X-Tracker-Idempotency-Key"] = message.key
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


def send(channel: Channel, message: Message, context: SendContext) -> None:
    s: EmailSettings = channel.settings
    where = f"alert channel {channel.name!r}: SMTP {s.host}:{s.port} ({s.security})"
    password = read_secret(channel, s.password_env, "SMTP password") if s.user else None
    mail = build(channel, message, context)
    try:
        if s.security == "ssl":
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=channel.timeout_s, context=_tls_context(s))
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=channel.timeout_s)
        with smtp:
            if s.security == "starttls":
                smtp.starttls(context=_tls_context(s))
            if s.user:
                smtp.login(s.user, password)
            refused = smtp.send_message(mail)
    except smtplib.SMTPAuthenticationError as exc:
        raise AlertError(f"{where}: login as {s.user!r} refused ({exc.smtp_code}); check the user "
                         f"and the password in ${s.password_env}", reason="smtp-auth") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise AlertError(f"{where}: every recipient was refused: {', '.join(exc.recipients)}",
                         reason="smtp-refused") from None
    except smtplib.SMTPResponseException as exc:
        raise AlertError(f"{where}: server answered {exc.smtp_code} {_text(exc.smtp_error)}",
                         reason=f"smtp-{exc.smtp_code}") from None
    except (smtplib.SMTPException, ssl.SSLError) as exc:
        raise AlertError(f"{where}: {type(exc).__name__}: {exc}", reason="smtp") from None
    except OSError as exc:
        raise AlertError(f"{where}: cannot connect: {exc.strerror or exc}; check host, port and "
                         "that the server is up", reason="smtp-connect") from None
    if refused:
        log.warning("%s: some recipients were refused: %s", where, ", ".join(refused))


def _tls_context(s: EmailSettings) -> ssl.SSLContext:
    """Certificates are always verified: against ``ca_file`` when given, else the system's CAs."""
    try:
        return ssl.create_default_context(cafile=s.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise AlertError(f"SMTP {s.host}:{s.port}: cannot read ca_file {s.ca_file!r}: {exc}; "
                         "point it at a PEM file of CA certificates", reason="smtp-ca-file") from None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _secret_envs(settings: EmailSettings) -> tuple[str, ...]:
    return (settings.password_env,) if settings.password_env else ()


KIND = Kind(name="email", keys=KEYS, parse=parse, send=send, secret_envs=_secret_envs)
