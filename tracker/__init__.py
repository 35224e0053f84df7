"""tracker: a change-monitoring news tracker for policy analysts.

It polls news feeds, keeps every version of every article, finds which
government takes which stance on which topic, and flags when one shifts.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
