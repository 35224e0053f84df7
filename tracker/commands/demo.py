"""tracker demo: replay the seeds through the whole pipeline, then serve Datasette."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.cli import App, pass_app
from tracker.config import DEFAULT_CONFIG, Config, parse_config


@click.command("demo")
@click.option("--no-serve", is_flag=True, help="Do not start Datasette at the end.")
@click.option("--port", type=int, default=8001, show_default=True, help="Datasette port on 127.0.0.1.")
@click.option("--seeds", "seeds_dir", type=click.Path(path_type=Path), default=Path("seeds"), show_default=True)
@pass_app
def demo_command(app: App, no_serve: bool, port: int, seeds_dir: Path) -> None:
    """Replay seeds/ through the whole pipeline on 127.0.0.1, then serve Datasette."""
    from tracker.demo import DEFAULT_DEMO_DB, run_demo

    base = app.config if app.config_path.exists() or app.config_path != DEFAULT_CONFIG else _defaults()
    db_path = app.db_override or DEFAULT_DEMO_DB
    run_demo(base, db_path, seeds_dir=seeds_dir, say=app.echo)
    if no_serve:
        return
    from tracker.publish.serve import serve

    app.echo(f"\nDatasette: http://127.0.0.1:{port}/tracker  (Ctrl-C to stop)")
    serve(db_path, host="127.0.0.1", port=port)


def _defaults() -> Config:
    return parse_config({}, DEFAULT_CONFIG)


COMMANDS = [demo_command]
