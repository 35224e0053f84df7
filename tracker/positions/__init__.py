"""Positions and their shifts, one module per stage.

    baseline.py  seeds -> starting positions, with provenance
    decide.py    the rules: evidence weights, hysteresis, levels (one readable place)
    shifts.py    apply an article's reports: positions, shifts, corroboration, review
    views.py     shifts with the evidence of both sides, for the CLI, demo and alerts
    replay.py    replay a dated labelled corpus and score the shifts against gold changes
"""
