"""`make bench`: every benchmark, each in its own process, then bench/results/summary.json.

    .venv/bin/python bench/run_all.py [--only polling,pipeline,claims,scale]

Each benchmark prints its table and writes bench/results/<name>.json; this
script collects their targets into summary.json and prints one line per
target. Runs against servers on 127.0.0.1 only, in a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH, RESULTS, machine, print_table  # noqa: E402

# bench_claims.py belongs to the stance engine; it is run when it exists.
BENCHMARKS = ("polling", "pipeline", "claims", "scale")


def run(name: str) -> dict:
    script = BENCH / f"bench_{name}.py"
    if not script.exists():
        return {"status": "skipped", "why": f"{script.name} does not exist yet"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(script)], cwd=BENCH.parent, timeout=900)
    elapsed = round(time.perf_counter() - started, 1)
    result_file = RESULTS / f"{name}.json"
    if done.returncode != 0:
        return {"status": "failed", "why": f"exit code {done.returncode}", "seconds": elapsed}
    if not result_file.exists():
        return {"status": "failed", "why": f"wrote no {result_file.name}", "seconds": elapsed}
    data = json.loads(result_file.read_text(encoding="utf-8"))
    return {"status": "ok", "seconds": elapsed, "targets": targets_of(data), "file": f"results/{result_file.name}"}


def targets_of(data: dict) -> dict:
    """A result's targets; bench_claims.py states its own as target_articles_per_s + results."""
    if "targets" in data:
        return data["targets"]
    if "target_articles_per_s" in data:
        floor = data["target_articles_per_s"]
        return {f"claims_{r['set']}_at_least_{floor:g}_articles_per_s_per_core": {
            "articles_per_s": r["articles_per_s"], "sentences_per_s": r["sentences_per_s"],
            "met": r["articles_per_s"] >= floor} for r in data.get("results", [])}
    return {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated subset of " + ",".join(BENCHMARKS))
    args = parser.parse_args()
    names = [n.strip() for n in args.only.split(",")] if args.only else list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; known: {', '.join(BENCHMARKS)}")
    started = time.perf_counter()
    outcomes = {}
    for name in names:
        print(f"\n=== bench {name} ===", flush=True)
        outcomes[name] = run(name)
    total = round(time.perf_counter() - started, 1)
    summary = {"machine": machine(), "total_seconds": total, "benchmarks": outcomes}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    rows = []
    for name, outcome in outcomes.items():
        if outcome["status"] != "ok":
            rows.append([name, outcome["status"], outcome["why"], ""])
            continue
        for target, figures in outcome["targets"].items():
            shown = {k: v for k, v in figures.items() if k != "met"} if isinstance(figures, dict) else figures
            met = figures.get("met") if isinstance(figures, dict) else None
            rows.append([name, target, json.dumps(shown, ensure_ascii=False),
                         "-" if met is None else ("met" if met else "NOT met")])
    print_table(f"Summary ({total} s in all; bench/results/summary.json)", ["bench", "target", "figures", "status"], rows)
    return 1 if any(o["status"] == "failed" for o in outcomes.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
