"""tracker serve: Datasette over the database, with metadata and canned queries."""

from __future__ import annotations

import click

from tracker.cli import App, pass_app


@click.command("serve")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port to listen on; default: [publish] port of the config (8001).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; 0.0.0.0 makes it reachable from other machines.")
@pass_app
def serve_command(app: App, port: int | None, host: str) -> None:
    """Browse shifts, positions, evidence and edits in Datasette (read-only)."""
    from tracker.publish import serve
    from tracker.publish.serve import check_port, make_datasette

    if port is None:
        port = app.config.publish.port if app.config_path.exists() else 8001
    make_datasette(app.db_path)  # a missing database is named before anything starts
    check_port(host, port)
    app.echo(f"serving {app.db_path} at http://{host}:{port}/tracker (Ctrl-C to stop)")
    actors = app.config.stance.actors if app.config_path.exists() else None
    serve(app.db_path, host=host, port=port, log_level="warning" if app.verbosity < 0 else "info",
          actors=actors)


COMMANDS = [serve_command]
