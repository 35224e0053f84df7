"""Alerts: shifts and health incidents delivered by email and webhook.

    shifts / feeds / runs ──> outbox.enqueue ──> alerts rows ──> outbox.deliver_due ──> channel.send
                              (rules, health)    (one per shift x channel)             (email, webhook)

``registry`` turns ``[[alerts.channel]]`` tables into ``Channel`` objects,
``evidence`` loads a shift with both sides of its evidence, ``render``
writes the one message every channel sends, ``outbox`` owns the ``alerts``
table (enqueue, back-off, retry), ``health`` finds incidents of the system
itself. Secrets are read from environment variables at send time only.
"""

from tracker.alerts.outbox import deliver_due, enqueue, retry, status_lines
from tracker.alerts.registry import channels_from_config, validate_alerts_config

__all__ = [
    "channels_from_config",
    "deliver_due",
    "enqueue",
    "retry",
    "status_lines",
    "validate_alerts_config",
]
