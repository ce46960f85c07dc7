"""The chaos soak (issue 21): load, seeded faults, and an auditor of what must hold."""

from bench.soak.run import add_arguments, run

__all__ = ["add_arguments", "run"]
