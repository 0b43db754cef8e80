"""Fault injection for tests and demos: make the hub's exchange endpoints misbehave
on purpose.

A `Faults` object holds an ordered list of rules; a rule's `endpoint` says which
endpoint it is for: `reports:batch` (the default), `updates:batch`, or `updates`
(the national side's feed). Each call to an endpoint takes one use of the first
live rule for that endpoint among these actions:

- `status`: answer `status` (with `Retry-After` when given) and save nothing;
- `drop_after_save` (batch endpoints): save and commit normally, then close the
  connection without answering, so the client cannot know what was stored;
- `delay`: sleep `seconds`, then answer normally.

Two more actions mangle a feed page the hub does answer, and every live one
applies to it (both may be live at once): `shuffle` answers the page in another
order, `duplicate` repeats about `share` of its items at random positions. The
page's `next_after` stays right; only the items move.

A rule lasts `times` calls (default 1) or, with `for_s`, that many seconds from
the first call it applies to. Thread safe. Only an app whose settings say
`faults_enabled` consults it; not here: the HTTP side of each action (`web.py`).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

from lapor_exchange.problems import problems as schema_problems
from lapor_exchange.problems import validator_for

STATUS, DROP_AFTER_SAVE, DELAY, SHUFFLE, DUPLICATE = (
    "status",
    "drop_after_save",
    "delay",
    "shuffle",
    "duplicate",
)
REPORTS_BATCH, UPDATES_BATCH, FEED = "reports:batch", "updates:batch", "updates"
PAGE_ACTIONS = frozenset({SHUFFLE, DUPLICATE})

# Fields each action may carry besides action/endpoint/times/for_s, and the endpoints
# it works on; checked in `_parse` so the message can name the action at fault.
ACTION_FIELDS = {
    STATUS: {"status", "retry_after"},
    DROP_AFTER_SAVE: set(),
    DELAY: {"seconds"},
    SHUFFLE: set(),
    DUPLICATE: {"share"},
}
ACTION_ENDPOINTS = {
    STATUS: (REPORTS_BATCH, UPDATES_BATCH, FEED),
    DELAY: (REPORTS_BATCH, UPDATES_BATCH, FEED),
    DROP_AFTER_SAVE: (REPORTS_BATCH, UPDATES_BATCH),
    SHUFFLE: (FEED,),
    DUPLICATE: (FEED,),
}

RULES_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["action"],
        "properties": {
            "action": {"enum": list(ACTION_FIELDS)},
            "endpoint": {
                "enum": [REPORTS_BATCH, UPDATES_BATCH, FEED],
                "description": "The endpoint the rule is for (default reports:batch).",
            },
            "times": {
                "type": "integer",
                "minimum": 1,
                "description": "Calls the rule lasts (default 1).",
            },
            "for_s": {
                "type": "number",
                "exclusiveMinimum": 0,
                "description": "Seconds the rule lasts from its first call.",
            },
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "retry_after": {
                "type": "integer",
                "minimum": 0,
                "description": "Seconds, sent as Retry-After.",
            },
            "seconds": {"type": "number", "minimum": 0, "maximum": 600},
            "share": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": 1,
                "description": "duplicate: the share of a feed page's items sent twice.",
            },
        },
        "allOf": [
            {"if": {"properties": {"action": {"const": STATUS}}}, "then": {"required": ["status"]}},
            {"if": {"properties": {"action": {"const": DELAY}}}, "then": {"required": ["seconds"]}},
            {
                "if": {"properties": {"action": {"const": DUPLICATE}}},
                "then": {"required": ["share"]},
            },
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
    endpoint: str | None = None  # None: reports:batch, the only endpoint faults had at first
    times: int | None = None
    for_s: float | None = None
    status: int | None = None
    retry_after: int | None = None
    seconds: float | None = None
    share: float | None = None
    until: float | None = None  # monotonic deadline, set when a for_s rule first applies

    @property
    def target(self) -> str:
        return self.endpoint or REPORTS_BATCH

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if v is not None and k != "until"}

    def live(self, now: float) -> bool:
        if self.for_s is not None:
            return self.until is None or now < self.until
        return self.times > 0

    def use(self, now: float) -> None:
        """Count one call against the rule (a for_s rule's clock starts at its first call)."""
        if self.for_s is not None:
            self.until = self.until if self.until is not None else now + self.for_s
        else:
            self.times -= 1


class Faults:
    """The live rules of one hub app (`app.extensions["lapor_hub"].faults`)."""

    def __init__(self, enabled: bool, clock=time.monotonic, rng: random.Random | None = None):
        self.enabled = enabled
        self._clock = clock
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []

    def set(self, rules: list[dict]) -> None:
        """Replace the rules. Raises InvalidFaultRulesError, or FaultsDisabledError when not enabled."""
        if not self.enabled:
            raise FaultsDisabledError(
                "fault injection is off (faults_enabled: false in the hub settings)"
            )
        parsed = _parse(rules)
        with self._lock:
            self._rules = parsed

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def pending(self) -> list[dict]:
        with self._lock:
            self._drop_spent(self._clock())
            return [rule.as_dict() for rule in self._rules]

    def take(self, endpoint: str = REPORTS_BATCH) -> FaultRule | None:
        """Use up one call of the first live status, delay or drop_after_save rule for
        `endpoint` and return it; None when no rule applies."""
        with self._lock:
            now = self._clock()
            self._drop_spent(now)
            rule = next(
                (r for r in self._rules if r.target == endpoint and r.action not in PAGE_ACTIONS),
                None,
            )
            if rule is not None:
                rule.use(now)
                self._drop_spent(now)
            return rule

    def mangle_page(self, items: list) -> list:
        """A feed page as every live shuffle and duplicate rule makes it (each uses one call)."""
        with self._lock:
            now = self._clock()
            self._drop_spent(now)
            for rule in [r for r in self._rules if r.action in PAGE_ACTIONS]:
                rule.use(now)
                if rule.action == SHUFFLE:
                    items = _shuffled(items, self._rng)
                else:
                    items = _with_repeats(items, rule.share, self._rng)
            self._drop_spent(now)
            return items

    def _drop_spent(self, now: float) -> None:
        self._rules = [rule for rule in self._rules if rule.live(now)]


def _shuffled(items: list, rng: random.Random) -> list:
    """`items` in a random order that differs from the given one whenever any order can."""
    shuffled = list(items)
    rng.shuffle(shuffled)
    if shuffled == items:
        # Rotating by one changes any list holding two different items; a fault
        # that sometimes does nothing would make flaky tests.
        shuffled = shuffled[1:] + shuffled[:1]
    return shuffled


def _with_repeats(items: list, share: float, rng: random.Random) -> list:
    """`items` with about `share` of them (at least one) sent a second time, at random positions."""
    if not items:
        return items
    repeated = list(items)
    for item in rng.sample(items, max(1, round(share * len(items)))):
        repeated.insert(rng.randrange(len(repeated) + 1), item)
    return repeated


def _parse(rules) -> list[FaultRule]:
    problems = [str(p) for p in schema_problems(rules, _validator)]
    if not problems:
        problems = [p for i, rule in enumerate(rules) for p in _combination_problems(i, rule)]
    if problems:
        raise InvalidFaultRulesError(problems)
    return [FaultRule(**{"times": None if "for_s" in rule else 1, **rule}) for rule in rules]


def _combination_problems(index: int, rule: dict) -> list[str]:
    found = [
        f"$[{index}].{name}: only for action {action!r}, not {rule['action']!r}"
        for action, names in ACTION_FIELDS.items()
        if action != rule["action"]
        for name in sorted(names & set(rule))
    ]
    endpoints = ACTION_ENDPOINTS[rule["action"]]
    endpoint = rule.get("endpoint", REPORTS_BATCH)
    if endpoint not in endpoints:
        found.append(
            f"$[{index}].endpoint: action {rule['action']!r} works on {', '.join(endpoints)} only, "
            f"not {endpoint!r}" + ("" if "endpoint" in rule else " (the default)")
        )
    if "times" in rule and "for_s" in rule:
        found.append(f"$[{index}]: give either times or for_s, not both")
    return found
