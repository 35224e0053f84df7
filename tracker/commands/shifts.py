"""tracker baseline | shifts | review: positions and their shifts."""

from __future__ import annotations

import json
from pathlib import Path

import click

from tracker.actornames import actor_names, named
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
@click.option("--wide", is_flag=True, help="One tab-separated line per shift, nothing cut or wrapped.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per shift.")
@pass_app
def shifts_command(app: App, status: str | None, level: str | None, limit: int | None, wide: bool,
                   as_json: bool) -> None:
    """List detected shifts and signals: both sentences in full, who said them, outlet, date and link."""
    import shutil

    from tracker.positions.views import shift_blocks, shift_lines

    if wide and as_json:
        raise click.UsageError("--wide and --json exclude each other; give one")
    db = app.open_db()
    try:
        shifts = list_shifts(db, status=status, level=level, limit=limit)
    finally:
        db.close()
    if as_json:
        for shift in shifts:
            click.echo(json.dumps(shift, ensure_ascii=False))
    elif wide:
        click.echo(shift_lines(shifts, names=_names(app)))
    else:
        width = min(shutil.get_terminal_size((110, 24)).columns, 120)
        click.echo(shift_blocks(shifts, names=_names(app), width=width))


@click.command("review")
@click.argument("target", metavar="[claim|shift] ID")
@click.argument("number", required=False, metavar="")
@click.option("--confirm", is_flag=True, help="The shift (or claim) is right.")
@click.option("--dismiss", is_flag=True, help="Shifts: the shift is wrong; restore the old position.")
@click.option("--reject", is_flag=True, help="Claims: the reader got it wrong; it no longer counts as evidence.")
@click.option("--note", default=None, help="Shifts: why, for the record.")
@pass_app
def review_command(app: App, target: str, number: str | None, confirm: bool, dismiss: bool, reject: bool,
                   note: str | None) -> None:
    """An analyst's verdict: 'review 12 --confirm|--dismiss' for shift 12,
    'review claim 7 --confirm|--reject' for claim 7."""
    kind, ident = _review_target(target, number)
    given = [name for name, on in (("--confirm", confirm), ("--dismiss", dismiss), ("--reject", reject)) if on]
    allowed = ("--confirm", "--dismiss") if kind == "shift" else ("--confirm", "--reject")
    wrong = [name for name in given if name not in allowed]
    if wrong:
        other = "claim" if kind == "shift" else "shift"
        raise click.UsageError(f"{wrong[0]} is for a {other}, not a {kind}; a {kind} takes {' or '.join(allowed)}")
    if len(given) != 1:
        said = f"{given[0]} and {given[1]} exclude each other" if given else "no verdict given"
        raise click.UsageError(f"{said}; say {' or '.join(allowed)}")
    db = app.open_db()
    if kind == "claim":
        _review_claim(app, db, ident, "confirmed" if confirm else "rejected")
        return
    from tracker.db import transaction
    from tracker.positions.shifts import review

    action = "confirmed" if confirm else "dismissed"
    with transaction(db):
        result = review(db, ident, action, note=note, now=SYSTEM_CLOCK.now())
    extra = "; position restored to the previous stance" if result["position_reverted"] else ""
    app.echo(f"shift {ident} ({named(result['actor'], _names(app))} on {result['topic']}) is now {action}{extra}")


def _review_target(target: str, number: str | None) -> tuple[str, int]:
    kind, raw = ("shift", target) if number is None else (target.lower(), number)
    if kind not in ("shift", "claim") or not raw.isdigit():
        raise click.UsageError(f"expected a shift id ('review 12 --confirm') or 'claim ID' "
                               f"('review claim 7 --reject'), got {' '.join(filter(None, (target, number)))!r}")
    return kind, int(raw)


def _review_claim(app: App, db, claim_id: int, verdict: str) -> None:
    from tracker.claimreview import review_claim
    from tracker.db import transaction

    with transaction(db):
        result = review_claim(db, claim_id, verdict, now=SYSTEM_CLOCK.now())
    line = f"claim {claim_id} ({named(result['actor'], _names(app))} on {result['topic']}: {result['stance']}) is now {verdict}"
    if result["shifts_dismissed"]:
        line += "; dismissed shift " + ", ".join(str(i) for i in result["shifts_dismissed"])
    if result["position"]:
        line += f"; position {result['position']}"
    app.echo(line)


def _names(app: App) -> dict[str, str]:
    from tracker.actornames import DEFAULT_ACTORS, actor_names

    return actor_names(app.config.stance.actors if app.config_path.exists() else DEFAULT_ACTORS)


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
        lines += ["latest:", *shift_table(latest, width=60, names=actor_names(config.stance.actors)).splitlines()]
    return lines
