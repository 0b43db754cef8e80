"""Fault injection for tests and demos: make `reports:batch` misbehave on purpose.

A `Faults` object holds an ordered list of rules; each `reports:batch` call
takes one use of the first rule still live. Actions:

- `status`: answer `status` (with `Retry-After` when given) and save nothing;
- `drop_after_save`: save and commit normally, then close the connection
  without answering, so the client cannot know the reports were stored;
- `delay`: sleep `seconds`, then process normally.

A rule lasts `times` calls (default 1) or, with `for_s`, that many seconds from
the first call it applies to. Thread safe. Only an app whose settings say
`faults_enabled` consults it; not here: the HTTP side of each action (`app.py`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from ..validate import problems as schema_problems
from ..validate import validator_for

STATUS, DROP_AFTER_SAVE, DELAY = "status", "drop_after_save", "delay"

# Fields each action may carry besides action/times/for_s, checked in `_parse`
# (kept out of the schema so the message can say which action a field belongs to).
ACTION_FIELDS = {STATUS: {"status", "retry_after"}, DROP_AFTER_SAVE: set(), DELAY: {"seconds"}}

RULES_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["action"],
        "properties": {
            "action": {"enum": [STATUS, DROP_AFTER_SAVE, DELAY]},
            "times": {"type": "integer", "minimum": 1, "description": "Calls the rule lasts (default 1)."},
            "for_s": {"type": "number", "exclusiveMinimum": 0, "description": "Seconds the rule lasts from its first call."},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "retry_after": {"type": "integer", "minimum": 0, "description": "Seconds, sent as Retry-After."},
            "seconds": {"type": "number", "minimum": 0, "maximum": 600},
        },
        "allOf": [
            {"if": {"properties": {"action": {"const": STATUS}}}, "then": {"required": ["status"]}},
            {"if": {"properties": {"action": {"const": DELAY}}}, "then": {"required": ["seconds"]}},
        ],
    },
}
_validator = validator_for(RULES_SCHEMA)


class FaultsDisabledError(RuntimeError):
    """Rules were set on a hub whose settings do not enable faults."""


class InvalidFaultRulesError(ValueError):
    """The rules do not fit RULES_SCHEMA; `problems` lists each with its JSON path."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class FaultRule:
    action: str
    times: int | None = None
    for_s: float | None = None
    status: int | None = None
    retry_after: int | None = None
    seconds: float | None = None
    until: float | None = None  # monotonic deadline, set when a for_s rule first applies

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if v is not None and k != "until"}


class Faults:
    """The live rules of one hub app (`app.extensions["lapor_hub"].faults`)."""

    def __init__(self, enabled: bool, clock=time.monotonic):
        self.enabled = enabled
        self._clock = clock
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def set(self, rules: list[dict]) -> None:
        """Replace the rules. Raises InvalidFaultRulesError, or FaultsDisabledError when not enabled."""
        if not self.enabled:
            raise FaultsDisabledError("fault injection is off (faults_enabled: false in the hub settings)")
        parsed = _parse(rules)
        with self._lock:
            self._rules = parsed

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def pending(self) -> list[dict]:
        with self._lock:
            return [rule.as_dict() for rule in self._rules]

    def take(self) -> FaultRule | None:
        """Use up one call of the first live rule and return it; None when no rule applies."""
        with self._lock:
            now = self._clock()
            while self._rules:
                rule = self._rules[0]
                if rule.for_s is not None:
                    rule.until = rule.until if rule.until is not None else now + rule.for_s
                    if now < rule.until:
                        return rule
                elif rule.times > 0:
                    rule.times -= 1
                    if rule.times == 0:
                        self._rules.pop(0)
                    return rule
                self._rules.pop(0)
            return None


def _parse(rules) -> list[FaultRule]:
    problems = [str(p) for p in schema_problems(rules, _validator)]
    if not problems:
        problems = [p for i, rule in enumerate(rules) for p in _combination_problems(i, rule)]
    if problems:
        raise InvalidFaultRulesError(problems)
    return [FaultRule(**{"times": None if "for_s" in rule else 1, **rule}) for rule in rules]


def _combination_problems(index: int, rule: dict) -> list[str]:
    found = [f"$[{index}].{name}: only for action {action!r}, not {rule['action']!r}"
             for action, names in ACTION_FIELDS.items() if action != rule["action"]
             for name in sorted(names & set(rule))]
    if "times" in rule and "for_s" in rule:
        found.append(f"$[{index}]: give either times or for_s, not both")
    return found
