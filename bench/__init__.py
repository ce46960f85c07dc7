"""Benchmarks: ``python -m bench [name ...]`` (``make bench`` runs them all).

Each benchmark compares the engine with a floor measured on the same machine in the same run,
so results are read as ratios, not absolute numbers (anchors-performance.md §4).
"""
