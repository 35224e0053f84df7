"""Publish the tracker database to analysts through Datasette 0.65.

``make_datasette(db_path, *, base_url=None)`` builds the app and
``serve(db_path, host, port)`` runs it; ``tracker serve`` calls the latter.
"""

from tracker.publish.serve import make_datasette, serve

__all__ = ["make_datasette", "serve"]
