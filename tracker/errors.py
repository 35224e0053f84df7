"""One exception tree for the whole package.

    TrackerError                 anything tracker reports to a user
    ├── ConfigError              a config or data file is wrong (exit code 2)
    ├── FeedError                a feed could not be polled or parsed
    ├── FetchError               an article or feed URL could not be fetched
    │   └── BlockedAddressError  the URL resolves to an address we refuse
    ├── ExtractError             no usable text came out of a page
    ├── StoreError               the database refused or is unusable
    ├── StanceError              the stance engine got input it cannot use
    ├── AlertError               an alert channel failed to deliver
    └── ServeError               Datasette cannot start (the port is taken)

Every error carries a message meant for a person: what was wrong, where
(file, key, feed, URL), and what to do. `reason` is a short machine-readable
tag that is stored in the database (``timeout``, ``http-500``, ``too-short``...).
Only ``tracker.cli`` turns these into ``click`` exceptions.
"""

from __future__ import annotations


class TrackerError(Exception):
    """Base of every error tracker raises on purpose."""

    reason: str = "error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.reason


class ConfigError(TrackerError):
    reason = "config"


class FeedError(TrackerError):
    reason = "feed"


class FetchError(TrackerError):
    reason = "fetch"


class BlockedAddressError(FetchError):
    reason = "blocked-address"


class ExtractError(TrackerError):
    reason = "extract"


class StoreError(TrackerError):
    reason = "store"


class StanceError(TrackerError):
    reason = "stance"


class AlertError(TrackerError):
    reason = "alert"


class ServeError(TrackerError):
    reason = "serve"
