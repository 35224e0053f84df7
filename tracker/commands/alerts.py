"""tracker alerts: send a test alert through a channel; deliver pending alerts now."""

from __future__ import annotations

import click

from tracker.cli import App, pass_app
from tracker.clock import SYSTEM_CLOCK
from tracker.commands.poll import status_section


@click.group("alerts")
def alerts_group() -> None:
    """Alert channels and the alert outbox."""


@alerts_group.command("test")
@click.option("--channel", "channel_name", required=True, help="Name of an [[alerts.channel]] in the config.")
@pass_app
def test_command(app: App, channel_name: str) -> None:
    """Send a synthetic shift through a configured channel, now."""
    from tracker.alerts.outbox import send_test

    db = app.open_db()
    try:
        message = send_test(db, app.config, channel_name, clock=SYSTEM_CLOCK)
    finally:
        db.close()
    app.echo(f"test alert sent through {channel_name!r}: {message.subject} (idempotency key {message.key})")


@alerts_group.command("retry")
@click.option("--due-only", is_flag=True, help="Only alerts whose back-off has run out (default: every pending one).")
@click.option("--failed", "include_failed", is_flag=True, help="Also retry alerts that gave up (status 'failed').")
@pass_app
def retry_command(app: App, due_only: bool, include_failed: bool) -> None:
    """Deliver the pending alerts now."""
    from tracker.alerts.outbox import retry, status_lines

    db = app.open_db()
    try:
        sent = retry(db, app.config, clock=SYSTEM_CLOCK, all_pending=not due_only, include_failed=include_failed)
        lines = status_lines(db)
    finally:
        db.close()
    app.echo(f"{sent} alert{'s' if sent != 1 else ''} delivered")
    for line in lines:
        app.echo(line)


COMMANDS = [alerts_group]


@status_section("Alerts")
def alerts_status(db, config, now) -> list[str]:
    from tracker.alerts.outbox import status_lines

    return status_lines(db)
