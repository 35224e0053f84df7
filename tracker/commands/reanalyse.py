"""tracker reanalyse: analyse stored versions again (failed ones, or all after the rules changed)."""

from __future__ import annotations

import click

from tracker.analysis import Analyser, check_stance_files
from tracker.cli import App, pass_app
from tracker.clock import SYSTEM_CLOCK
from tracker.daemon import command_lock
from tracker.store import rows


@click.command("reanalyse")
@click.option("--failed", "failed_only", is_flag=True,
              help="Only the versions whose analysis failed (whatever the number of attempts).")
@click.option("--all", "every_version", is_flag=True,
              help="Every stored version, oldest first: record the claims the current rules find that are "
                   "not stored yet (after the stance rules changed).")
@pass_app
def reanalyse_command(app: App, failed_only: bool, every_version: bool) -> None:
    """Analyse stored versions again: by default those left pending or failed."""
    if failed_only and every_version:
        raise click.UsageError("use --failed or --all, not both")
    config = app.config
    check_stance_files(config)
    with command_lock(app.db_path, "reanalyse"):
        db = app.open_db()
        try:
            analyser = Analyser(db, config, clock=SYSTEM_CLOCK)
            if every_version:
                ids = [r["id"] for r in rows(db, "SELECT id FROM versions ORDER BY id")]
                done = [analyser.run(version_id, only_new=True) for version_id in ids]
            else:
                done = analyser.retry(failed_only=failed_only, every_attempt=True, limit=None)
        finally:
            db.close()
    failed = [d for d in done if d.error]
    app.echo(f"reanalyse: {len(done)} versions analysed, {sum(d.claims for d in done)} new claims, "
             f"{sum(d.shifts for d in done)} new shifts, {len(failed)} failed")
    for why, count in analyser.failures.items():
        click.echo(f"  {count} failed: {why}", err=True)


COMMANDS = [reanalyse_command]
