"""Build and run the tracker's Datasette: one database named ``tracker``.

``make_datasette`` gives the app (tests use ``ds.client``, the demo and the
browser test run ``ds.app()`` under uvicorn); ``serve`` runs it until stopped.
Read-only for the public: the database is opened by Datasette read-only, no
canned query writes, and no root actor is created.
"""

from __future__ import annotations

from pathlib import Path

from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm

from tracker.actornames import DEFAULT_ACTORS, actor_names
from tracker.errors import ServeError, StoreError
from tracker.publish import plugins
from tracker.publish.metadata import DATABASE, build_metadata

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PLUGIN_NAME = "tracker.publish.plugins"
SOURCE_ACTORS = HERE.parent.parent / "config" / "actors.toml"
FACET_SIZE = 8  # values listed per facet before "...": 30 (Datasette's default) pushes the rows below the screen


def _register_plugins() -> None:
    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(plugins, name=PLUGIN_NAME)


def make_datasette(db_path: Path | str, *, base_url: str | None = None,
                   actors: Path | str | None = None) -> Datasette:
    """Datasette over ``db_path`` with the tracker's metadata, queries, templates and hooks.

    ``base_url`` is a path prefix such as ``/tracker-ui/`` when served behind a proxy;
    ``actors`` the gazetteer whose names are shown beside the codes (default
    ``config/actors.toml``, else the one of this source tree).
    """
    path = Path(db_path)
    if not path.is_file():
        raise StoreError(
            f"{path}: no database here; run 'tracker init' (then 'tracker poll' or 'tracker demo') "
            "first, or pass the right file with --db"
        )
    settings = {"default_facet_size": FACET_SIZE}
    if base_url:
        settings["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
    _register_plugins()
    names = actor_names(actors or DEFAULT_ACTORS) or actor_names(SOURCE_ACTORS)
    ds = Datasette(
        metadata=build_metadata(base_url=settings.get("base_url", "/"), actor_names=names),
        template_dir=str(TEMPLATES),
        static_mounts=[(plugins.STATIC_MOUNT, str(STATIC))],
        settings=settings,
    )
    # Datasette adds an in-memory database when given no files; analysts need only ours.
    ds.remove_database("_memory")
    ds.add_database(Database(ds, path=str(path.resolve()), is_mutable=True), name=DATABASE, route=DATABASE)
    return ds


def serve(db_path: Path | str, host: str = "127.0.0.1", port: int = 8001, *,
          base_url: str | None = None, log_level: str = "info", actors: Path | str | None = None,
          access_log: bool = True) -> None:
    """Bring the schema up to date, then serve Datasette until interrupted."""
    import uvicorn

    from tracker.db import open_db

    path = Path(db_path)
    ds = make_datasette(path, base_url=base_url, actors=actors)
    open_db(path).close()  # applies migrations the views and queries rely on
    uvicorn.run(ds.app(), host=host, port=port, log_level=log_level, lifespan="on", workers=1,
                access_log=access_log)


def check_port(host: str, port: int) -> None:
    """StoreError naming the port and the fix when ``host:port`` cannot be listened on."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ServeError(
                f"{host}:{port} is not free ({exc.strerror}); another server (an earlier 'tracker serve' "
                f"or 'tracker demo'?) listens there: stop it, or pick another port with --port {port + 1}"
            ) from None
