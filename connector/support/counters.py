"""Counters that add up: the base of the per-cycle statistics (intake, delivery)."""

from __future__ import annotations

from dataclasses import fields


class Counters:
    """Mix into a dataclass of int fields to get `+=`."""

    def __iadd__(self, other):
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self
