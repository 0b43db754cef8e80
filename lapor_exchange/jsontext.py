"""JSON as the exchange means it, read strictly: what a hub (or the conformance kit)
takes from the wire.

UTF-8; no repeated member names in one object; no NaN, Infinity or number beyond a
double's range (they are not JSON, and a report holding one could never be given back as
JSON); nesting at most `MAX_DEPTH` levels (deeper than any report or update needs, and far
enough under Python's recursion limit that parsing, validating and hashing never hit it).

Not here: what the value must look like (the documents' schemas, `problems.py`).
"""

from __future__ import annotations

import json
import math

MAX_DEPTH = 64


def parse_json(data: bytes):
    """The value of a JSON text. Raises ValueError saying what is wrong and where."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    try:
        value = json.loads(
            text, object_pairs_hook=_object, parse_constant=_no_constant, parse_float=_finite
        )
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from exc
    if depth(value) > MAX_DEPTH:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    return value


def depth(value) -> int:
    """How deeply `value` nests (a scalar is 0), without recursion; stops counting past MAX_DEPTH."""
    deepest, stack = 0, [(value, 0)]
    while stack and deepest <= MAX_DEPTH:
        node, level = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, level + 1)
            stack.extend(
                (child, level + 1) for child in (node.values() if isinstance(node, dict) else node)
            )
    return deepest


def _object(pairs):
    found = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"the member {key!r} appears twice in one object")
        found[key] = value
    return found


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text[:40]} is beyond the range of a number")
    return value
