"""Command modules: each defines click commands and lists them in ``COMMANDS``.

``tracker.cli`` discovers the modules here and registers every command, so
an area (polling, stance, alerts, publishing...) adds its commands without
touching the others.
"""
