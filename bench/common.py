"""Shared parts of the benchmarks: the local site, timing, memory, configs, JSON and tables.

Every figure is measured next to a reference from the same run (a bare
httpx client, bare feedparser, bare trafilatura), so the ratio holds on a
noisy shared machine even when the absolute numbers move.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from tracker.config import load_config  # noqa: E402

DATE = "2026-11-23"
CLK_TCK = os.sysconf("SC_CLK_TCK")
START = "2026-11-23T08:00:00+00:00"


# -- the local site ------------------------------------------------------------

class SiteServer:
    """bench/server.py in its own process(es); stops when we close its stdin."""

    def __init__(self, *, feeds: int = 0, entries: int = 20, procs: int = 1, mode: str = "asyncio",
                 link_path: str = "/a/{i}/{k}") -> None:
        self.args = [sys.executable, str(BENCH / "server.py"), "--feeds", str(feeds), "--entries", str(entries),
                     "--procs", str(procs), "--mode", mode, "--link-path", link_path]
        self.label = f"{mode} x{procs}" if mode == "asyncio" else "threaded http.server (tests/localserver.py)"
        self.process: subprocess.Popen | None = None
        self.pids: list[int] = []
        self.base = ""

    def __enter__(self) -> "SiteServer":
        self.process = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=REPO)
        line = self.process.stdout.readline().decode().split()
        if not line or line[0] != "READY":
            self.__exit__()
            raise RuntimeError(f"bench server did not start: {self.args}")
        self.base = f"http://127.0.0.1:{line[1]}"
        self.pids = [int(pid) for pid in line[2:]]
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def url(self, path: str) -> str:
        return self.base + path

    def cpu_seconds(self) -> float:
        """User + system CPU the server processes have used so far."""
        total = 0
        for pid in self.pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / CLK_TCK

    def set_generation(self, generation: int) -> None:
        httpx.get(self.url(f"/_gen/{generation}"), trust_env=False).raise_for_status()


# -- measuring -----------------------------------------------------------------

def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


@dataclass
class Measure:
    """Wall time, our CPU and the server's CPU over a block."""

    server: SiteServer | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def run(self) -> Iterator["Measure"]:
        server_before = self.server.cpu_seconds() if self.server else 0.0
        cpu_before = own_cpu_seconds()
        start = time.perf_counter()
        try:
            yield self
        finally:
            self.wall_s = time.perf_counter() - start
            self.cpu_s = own_cpu_seconds() - cpu_before
            self.server_cpu_s = (self.server.cpu_seconds() - server_before) if self.server else 0.0

    def figures(self, requests: int | None = None) -> dict[str, Any]:
        out = {"wall_s": round(self.wall_s, 3), "cpu_s": round(self.cpu_s, 3),
               "cores_busy": round(self.cpu_s / self.wall_s, 2) if self.wall_s else None,
               "server_cpu_s": round(self.server_cpu_s, 3),
               "server_busy": round(self.server_cpu_s / self.wall_s, 2) if self.wall_s else None}
        if requests:
            out["requests"] = requests
            out["requests_per_s"] = round(requests / self.wall_s, 1)
        out.update(self.extra)
        return out


def measure(server: SiteServer | None = None) -> Measure:
    return Measure(server)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def bare_gets(urls: list[str], *, workers: int, headers: Callable[[str], dict[str, str]] | None = None,
              client: httpx.Client | None = None) -> list[httpx.Response]:
    """The reference: the same GETs from one httpx client at the same concurrency."""
    own = client is None
    client = client or httpx.Client(timeout=30, trust_env=False)
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda url: client.get(url, headers=headers(url) if headers else None), urls))
    finally:
        if own:
            client.close()


# -- tracker set-up ---------------------------------------------------------------

def write_config(directory: Path, feed_urls: list[str], *, fetch_articles: bool = True, workers: int = 4,
                 extra_fetch: str = ""):
    """A real config/feeds.toml for ``feed_urls``, loaded the way ``tracker`` loads it."""
    lines = [
        "[storage]", f'db = "{directory / "tracker.db"}"', "",
        "[fetch]", 'allow_private_addresses = ["127.0.0.0/8"]', extra_fetch, "",
        "[polling]", "jitter = 0", f"workers = {workers}", f"fetch_articles = {str(fetch_articles).lower()}", "",
        "[stance]", f'actors = "{REPO / "config" / "actors.toml"}"', f'topics = "{REPO / "config" / "topics.toml"}"', "",
    ]
    for number, url in enumerate(feed_urls):
        lines += ["[[feed]]", f'name = "feed-{number:05d}"', f'url = "{url}"', 'interval = "30m"', ""]
    path = directory / "feeds.toml"
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return load_config(path)


def db_size_bytes(db_path: Path) -> int:
    """The database file plus its WAL, after a checkpoint."""
    return sum(p.stat().st_size for p in (db_path, Path(f"{db_path}-wal")) if p.exists())


# -- output ------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"date": DATE, "cores": cores, "cpu": model, "python": platform.python_version(),
            "platform": platform.platform(), "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **data}, indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def print_table(title: str, header: list[str], body: list[list[Any]]) -> None:
    cells = [[_fmt(v) for v in row] for row in body]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))
    sys.stdout.flush()


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"
