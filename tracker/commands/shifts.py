"""tracker baseline | shifts | review: positions and their shifts."""

from __future__ import annotations

import json
from pathlib import Path

import click

from tracker.cli import App, pass_app
from tracker.clock import SYSTEM_CLOCK
from tracker.commands.poll import status_section
from tracker.seeds import DEFAULT_SEEDS, load_seeds
from tracker.positions.views import list_shifts, shift_table


@click.command("baseline")
@click.option("--seeds", "seeds_dir", type=click.Path(path_type=Path), default=DEFAULT_SEEDS,
              show_default=True, help="Folder with manifest.toml and the seed articles.")
@pass_app
def baseline_command(app: App, seeds_dir: Path) -> None:
    """Rebuild the baseline positions from the seed articles."""
    from tracker.positions.baseline import compute_baseline, write_baseline
    from tracker.stance import load_engine

    config = app.config
    engine = load_engine(config.stance.actors, config.stance.topics)
    entries = compute_baseline(load_seeds(seeds_dir), engine)
    db = app.open_db()
    counts = write_baseline(db, entries, now=SYSTEM_CLOCK.now())
    for e in entries:
        app.echo(f"{e.actor:<5} {e.topic:<20} {e.stance:<12} since {e.since}  ({e.seed_file})")
    app.echo(f"baseline: {counts['baseline']} positions from {seeds_dir}; "
             f"{counts['positions_set']} set as current (live positions kept)")


@click.command("shifts")
@click.option("--status", type=click.Choice(["new", "confirmed", "dismissed"]), help="Only this status.")
@click.option("--level", type=click.Choice(["signal", "shift"]),
              help="Only signals (not yet borne out) or only shifts.")
@click.option("--limit", type=int, default=None, help="At most N shifts.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per shift.")
@pass_app
def shifts_command(app: App, status: str | None, level: str | None, limit: int | None, as_json: bool) -> None:
    """List detected shifts and signals with their evidence."""
    shifts = list_shifts(app.open_db(), status=status, level=level, limit=limit)
    if as_json:
        for shift in shifts:
            click.echo(json.dumps(shift, ensure_ascii=False))
    else:
        click.echo(shift_table(shifts))


@click.command("review")
@click.argument("shift_id", type=int)
@click.option("--confirm", "action", flag_value="confirmed", help="The shift is real.")
@click.option("--dismiss", "action", flag_value="dismissed", help="The shift is wrong; restore the old position.")
@click.option("--note", default=None, help="Why, for the record.")
@pass_app
def review_command(app: App, shift_id: int, action: str | None, note: str | None) -> None:
    """Confirm or dismiss a shift."""
    from tracker.db import transaction
    from tracker.positions.shifts import review

    if action is None:
        raise click.UsageError("say --confirm or --dismiss")
    db = app.open_db()
    with transaction(db):
        result = review(db, shift_id, action, note=note, now=SYSTEM_CLOCK.now())
    extra = "; position restored to the previous stance" if result["position_reverted"] else ""
    app.echo(f"shift {shift_id} ({result['actor']} on {result['topic']}) is now {action}{extra}")


COMMANDS = [baseline_command, shifts_command, review_command]


@status_section("Positions and shifts")
def shifts_status(db, config, now) -> list[str]:
    counts = dict(db.execute("SELECT status, count(*) FROM shifts WHERE level = 'shift' GROUP BY status").fetchall())
    signals = db.execute("SELECT count(*) FROM shifts WHERE level = 'signal' AND status != 'dismissed'").fetchone()[0]
    positions = db.execute("SELECT count(*) FROM positions").fetchone()[0]
    baseline = db.execute("SELECT count(*) FROM baseline").fetchone()[0]
    lines = [f"{positions} current positions ({baseline} in the baseline); shifts: "
             + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("new", "confirmed", "dismissed"))
             + f"; {signals} open signal{'s' if signals != 1 else ''} (tracker shifts --level signal)"]
    latest = list_shifts(db)[-3:]
    if latest:
        lines += ["latest:", *shift_table(latest, width=60).splitlines()]
    return lines
