"""tracker claims / tracker eval: the stance engine from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from tracker.cli import App, pass_app
from tracker.errors import ConfigError, StanceError

DEFAULT_GOLD = Path("seeds/manifest.toml")


def _engine(app: App):
    from tracker.stance import load_engine

    if app.config_path.exists():
        stance = app.config.stance
        return load_engine(stance.actors, stance.topics)
    # No feeds config here: the data files beside the default config.
    base = app.config_path.parent
    return load_engine(base / "actors.toml", base / "topics.toml")


def _read_document(path: Path) -> str | bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise StanceError(f"{path}: cannot read ({exc.strerror}); give a text or HTML file") from None


def _jsonl_documents(path: Path, published: str | None):
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise StanceError(f"{path}: cannot read ({exc.strerror}); give a JSON lines file") from None
    with handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise StanceError(f"{path}:{line_no}: not JSON ({exc.msg}); one object per line with \"id\" and \"text\"") from None
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise StanceError(f"{path}:{line_no}: expected an object with a \"text\" string, such as "
                                  "{\"id\": \"a1\", \"text\": \"...\", \"published\": \"2025-02-18\"}")
            yield str(row.get("id", line_no)), row["text"], row.get("published") or published


@click.command("claims")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--input", "input_path", type=click.Path(path_type=Path), default=None,
              help='JSON lines {"id", "text", "published"}.')
@click.option("--published", default=None, help="Article date YYYY-MM-DD (dates past-tense cues).")
@click.option("--topic", "topics", multiple=True, help="Only this topic id (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per claim.")
@pass_app
def claims_command(app: App, files: tuple[Path, ...], input_path: Path | None, published: str | None,
                   topics: tuple[str, ...], as_json: bool) -> None:
    """Print the claims found in text or HTML files, or in JSON lines."""
    from tracker.stance import find_claims, parse_published

    if not files and input_path is None:
        raise StanceError("no input: give text or HTML files, or --input FILE.jsonl")
    parse_published(published)  # a bad --published fails before any work
    engine = _engine(app)
    documents = [(str(p), _read_document(p), published) for p in files]
    if input_path is not None:
        documents.extend(_jsonl_documents(input_path, published))
    found = 0
    for source, text, day in documents:
        for claim in find_claims(text, day, engine=engine, topics=list(topics) or None):
            found += 1
            if as_json:
                click.echo(json.dumps({
                    "source": source, "actor": claim.actor, "topic": claim.topic, "stance": claim.stance,
                    "confidence": claim.confidence, "evidence": claim.evidence, "speaker": claim.speaker,
                    "time_cue": claim.time_cue,
                }, ensure_ascii=False))
            else:
                when = f" [{claim.time_cue}]" if claim.time_cue else ""
                who = f" ({claim.speaker})" if claim.speaker else ""
                click.echo(f"{source}\t{claim.actor:<4} {claim.stance:<11} {claim.confidence:.2f} "
                           f"{claim.topic}{who}{when}\n\t{claim.evidence}")
    if not as_json:
        app.echo(f"{found} claim(s) in {len(documents)} document(s)", err=True)


@click.command("eval")
@click.argument("gold", nargs=-1, type=click.Path(path_type=Path))
@click.option("--topic", default=None, help="Only this topic (default: the topic each file labels).")
@click.option("--split", type=click.Choice(["all", "tuned", "held-back"]), default="all", show_default=True,
              help="held-back: every 4th document of each file by id, kept out of tuning; tuned: the rest.")
@click.option("--language", default=None, help="Only documents in this language (ISO 639-1, such as en).")
@click.option("--show-errors", is_flag=True, help="List false positives and misses, grouped by class.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--replay", "replay_path", type=click.Path(path_type=Path), default=None,
              help="Replay this dated labelled corpus (JSONL) oldest first and score its shifts per level.")
@click.option("--holdout", is_flag=True, help="Same as --split held-back.")
@click.option("--show", is_flag=True, help="With --replay: every flagged change with its evidence, and the misses.")
@pass_app
def eval_command(app: App, gold: tuple[Path, ...], topic: str | None, split: str, language: str | None,
                 show_errors: bool, as_json: bool, replay_path: Path | None, holdout: bool, show: bool) -> None:
    """Precision / recall / F1 against labelled data (default seeds/manifest.toml), per topic and language."""
    from tracker.evaluate import evaluate_files, format_evaluation

    split = "held-back" if holdout else split
    if replay_path is not None:
        from tracker.positions.replay import format_replay, replay_file

        report = replay_file(replay_path, app.config, topic=topic or "troops-to-ukraine", split=split)
        click.echo(json.dumps(report.as_dict(show=show), indent=2) if as_json else format_replay(report, show=show))
        return
    engine = _engine(app)
    if topic is not None and topic not in engine.topics:
        raise ConfigError(f"unknown topic {topic!r}; known topics: {', '.join(sorted(engine.topics))}")
    evaluation = evaluate_files(list(gold) or [DEFAULT_GOLD], engine, topic=topic, split=split,
                                language=language)
    if as_json:
        data = evaluation.as_dict(errors=show_errors)
        if len(evaluation.by_topic) == 1:  # one topic: its figures at the top level, as before
            data = {**next(iter(evaluation.by_topic.values())).as_dict(errors=show_errors), **data,
                    "overall": evaluation.overall.overall.as_dict()}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(format_evaluation(evaluation, show_errors=show_errors))


COMMANDS = [claims_command, eval_command]
