"""The SMTP sink tests deliver to: the product's own (tracker.sinks)."""

from tracker.sinks import SmtpSink, free_port

__all__ = ["SmtpSink", "free_port"]
