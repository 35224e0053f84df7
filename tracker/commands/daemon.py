"""tracker run: the daemon, until SIGTERM or SIGINT; and the 'Daemon' section of tracker status."""

from __future__ import annotations

from datetime import datetime

import click

from tracker.cli import App, pass_app
from tracker.commands.poll import status_section
from tracker.config import Config
from tracker.daemon import LOG_LEVELS, Daemon, configure_logging, lock_path_for, read_lock_holder


@click.command("run")
@click.option("--log-level", type=click.Choice(LOG_LEVELS), default=None,
              help="Log level; default: info, or debug with --verbose, warning with --quiet.")
@pass_app
def run_command(app: App, log_level: str | None) -> None:
    """The daemon: poll every feed on its own schedule, re-check articles, deliver alerts.

    One line per event on stderr. Stops cleanly on SIGTERM or SIGINT (exit 0);
    one daemon per database.
    """
    configure_logging(log_level or {-1: "warning", 0: "info", 1: "debug"}[app.verbosity])
    config = app.config
    Daemon(config, db_path=app.db_path).run()


@status_section("Daemon")
def _daemon_section(db, config: Config, now: datetime) -> list[str]:
    path = lock_path_for(config.db)
    holder = read_lock_holder(path)
    if holder is None:
        return ["not running ('tracker run' starts it)"]
    alive = holder.alive()
    if alive is False:
        return [f"not running; the last daemon ({holder.describe()}) stopped without cleaning up"]
    state = "running" if alive else "lock held (on another host; cannot check the process)"
    return [f"{state}: {holder.describe()}"]


COMMANDS = [run_command]
