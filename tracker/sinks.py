"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps and parses what it receives.

The demo delivers its alerts here, and the tests use it as a real mail peer.

    with SmtpSink() as sink:
        ... send to 127.0.0.1:sink.port ...
        mail = sink.messages[0]          # email.message.EmailMessage
        mail["Subject"], mail.get_body(("plain",)).get_content()

With ``users={"name": "password"}`` it offers AUTH (without TLS: tests only)
and refuses mail from a client that did not log in.
and refuses mail from a client that did not log in (for tests: no TLS).
"""

from __future__ import annotations

import email
import email.policy
import socket

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, sink: "SmtpSink") -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        self.sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.sink.messages.append(email.message_from_bytes(envelope.original_content or envelope.content,
                                                           policy=email.policy.default))
        return "250 OK"


class SmtpSink:
    def __init__(self, *, users: dict[str, str] | None = None, port: int | None = None,
                 tls_context=None, implicit_tls: bool = False) -> None:
        """``tls_context`` offers STARTTLS (and requires it); with ``implicit_tls``
        the whole connection is TLS from the start (SMTPS, port 465 style)."""
        self.users = users
        self.tls_context = tls_context
        self.implicit_tls = implicit_tls
        self.port = port or free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[tuple[str, str, bool]] = []
        self._controller: Controller | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        ok = self.users is not None and self.users.get(login) == password
        self.logins.append((login, password, ok))
        return AuthResult(success=ok, handled=False)

    def start(self) -> "SmtpSink":
        options = {}
        if self.users is not None:
            options = dict(authenticator=self._authenticate, auth_required=True, auth_require_tls=False)  # tests only
        if self.tls_context is not None and self.implicit_tls:
            options["ssl_context"] = self.tls_context
        elif self.tls_context is not None:
            options.update(tls_context=self.tls_context, require_starttls=True)
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "SmtpSink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
