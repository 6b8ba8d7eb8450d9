"""Queries one service runs over tables another service owns (see the owners in ``models``).

Kept in one place so that what a reader depends on in someone else's table is visible to the
owner changing it: the drift monitor's reads of the collector's predictions and labels
(:mod:`.predictions`), and the evaluations the collector writes and the trainer's promotion and
the evaluation API read (:mod:`.evaluations`).
"""
