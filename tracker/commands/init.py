"""tracker init: create the database and its schema (idempotent)."""

from __future__ import annotations

import click

from tracker.cli import App, pass_app
from tracker.db import open_db


@click.command("init")
@pass_app
def init_command(app: App) -> None:
    """Create the database and schema (safe to run again)."""
    db = open_db(app.db_path)
    tables = [t for t in db.table_names() if not t.startswith(("versions_fts", "claims_fts"))]
    app.echo(f"database ready: {app.db_path} ({len(tables)} tables)")


COMMANDS = [init_command]
