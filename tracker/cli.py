"""The ``tracker`` command line.

This is the only module that turns ``TrackerError`` into click exceptions:
configuration errors exit with code 2, every other tracker error with 1.
Commands live in ``tracker/commands/`` (one module per area) and are
registered at the bottom of this file.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from tracker import __version__
from tracker.config import DEFAULT_CONFIG, Config, load_config
from tracker.errors import ConfigError, StoreError, TrackerError

GLOBAL_OPTIONS = ("--config", "--db", "-q", "--quiet", "-v", "--verbose")


class ConfigClickError(click.ClickException):
    exit_code = 2


@dataclass
class App:
    """What every command gets: options of the group and lazy config/db."""

    config_path: Path
    db_override: Path | None
    verbosity: int  # -1 quiet, 0 normal, 1 verbose
    _config: Config | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path, db_override=self.db_override)
        return self._config

    @property
    def db_path(self) -> Path:
        if self.db_override is not None and not self.config_path.exists():
            return self.db_override
        return self.config.db

    def open_db(self):
        """The database, migrated; a file that does not exist is refused (a mistyped --db would
        otherwise become a new, empty database). Only ``init`` (and the demo) create one."""
        from tracker.db import open_db

        path = self.db_path
        if not path.exists():
            raise StoreError(
                f"{path}: no such database; check the path (--db, or [storage] db in {self.config_path}), "
                f"or create it with 'tracker{'' if self.db_override is None else f' --db {path}'} init'")
        return open_db(path)

    def echo(self, message: str = "", **kwargs) -> None:
        if self.verbosity >= 0:
            click.echo(message, **kwargs)


class TrackerGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as exc:
            if exc.option_name not in GLOBAL_OPTIONS or exc.ctx is None or exc.ctx.parent is None:
                raise
            command = exc.ctx.info_name
            raise click.UsageError(
                f"{exc.option_name} is a global option: give it before the command, "
                f"as in 'tracker {exc.option_name}{' PATH' if exc.option_name in ('--db', '--config') else ''} "
                f"{command} ...'", exc.ctx) from None
        except ConfigError as exc:
            raise ConfigClickError(exc.message) from None
        except TrackerError as exc:
            raise click.ClickException(exc.message) from None


def setup_logging(verbosity: int) -> None:
    level = {-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}[verbosity]
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
    )
    for noisy in ("httpx", "httpcore", "trafilatura", "apscheduler.executors.default", "htmldate", "charset_normalizer", "mail.log", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


@click.group(cls=TrackerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=DEFAULT_CONFIG,
              show_default=True, help="Config file (feeds, fetch, alerts).")
@click.option("--db", "db_path", type=click.Path(path_type=Path), default=None,
              help="Database file; default: [storage] db of the config.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.option("-v", "--verbose", is_flag=True, help="Debug detail.")
@click.version_option(__version__, prog_name="tracker")
@click.pass_context
def main(ctx: click.Context, config_path: Path, db_path: Path | None, quiet: bool, verbose: bool) -> None:
    """Track what governments say on live questions, and flag when it shifts."""
    verbosity = -1 if quiet else (1 if verbose else 0)
    setup_logging(verbosity)
    ctx.obj = App(config_path=config_path, db_override=db_path, verbosity=verbosity)


pass_app = click.make_pass_decorator(App)


def _register() -> None:
    import importlib
    import pkgutil

    from tracker import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"tracker.commands.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            main.add_command(command)


_register()
