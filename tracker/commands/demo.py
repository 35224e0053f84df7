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

    from tracker.publish.serve import check_port, serve

    base = app.config if app.config_path.exists() or app.config_path != DEFAULT_CONFIG else _defaults()
    db_path = app.db_override or DEFAULT_DEMO_DB
    if not no_serve:
        check_port("127.0.0.1", port)  # before the replay, not after it
    log_file = None if app.verbosity > 0 else _log_to_file(Path(str(db_path) + ".log"), quiet=app.verbosity < 0)
    run_demo(base, db_path, seeds_dir=seeds_dir, say=app.echo)
    if log_file:
        app.echo(f"log of the replay: {log_file} (-v shows it here)")
    if no_serve:
        return
    app.echo(f"\nDatasette: http://127.0.0.1:{port}/tracker  (Ctrl-C to stop)")
    verbose = app.verbosity > 0
    serve(db_path, host="127.0.0.1", port=port, log_level="info" if verbose else "warning",
          access_log=verbose, actors=base.stance.actors)


def _log_to_file(path: Path, *, quiet: bool) -> Path:
    """Send the log lines of the replay to ``path`` instead of the terminal, so the table stands out."""
    import logging

    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(logging.WARNING if quiet else logging.INFO)
    return path


def _defaults() -> Config:
    return parse_config({}, DEFAULT_CONFIG)


COMMANDS = [demo_command]
