"""Reading what a request carries, exactly as strictly as the exchange contract describes it.

Bodies: JSON as the contract reads it (`lapor_exchange.jsontext`: UTF-8, no repeated
member names, no NaN or Infinity, nesting at most 64 levels), sent as `application/json`. A batch body must be what `BatchRequest` or
`UpdateBatchRequest` says (each item an object, no other member) before any item is judged;
a batch of the wrong size is 422 `batch_size`. Query parameters: given at most once, never
empty, integers in plain ASCII digits, strings of the contract's own shapes. Every refusal
is an `ApiError` 400 `bad_request`, so no malformed request reaches a handler and none
becomes a 500.

Not here: whether an item is a valid report or update (judged item by item in
`exchange.py` and `updates.py`), auth (`web.py`).
"""

from __future__ import annotations

import re

from flask import request

from lapor_exchange import documents
from lapor_exchange.jsontext import parse_json
from lapor_exchange.problems import openapi_validator
from lapor_exchange.problems import problems as schema_problems

from .web import ApiError, listed

_SIZE_KEYWORDS = ("minItems", "maxItems")
_LISTED_PROBLEMS = 5  # a message names the first few; a batch of 500 bad items needs no more
# Integers of any size the contract allows (a feed's `after` has no maximum), but short
# enough that int() stays cheap and under Python's limit on digits.
_INTEGER = re.compile(r"-?[0-9]{1,4000}")


def bad_request(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)


# -- bodies -------------------------------------------------------------------------------


def json_body():
    """The request's JSON value, refusing what is not JSON as the contract means it."""
    _check_media_type()
    try:
        return parse_json(request.get_data())
    except ValueError as exc:
        raise bad_request(f"the body is not JSON: {exc}") from exc


def json_object() -> dict:
    body = json_body()
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object")
    return body


def batch_items(name: str, component: str) -> list[dict]:
    """The items of a batch body `{name: [object, ...]}` checked against the contract's
    `component`: 400 when malformed, 422 `batch_size` when only its size is wrong."""
    body = json_object()
    errors = list(openapi_validator(component).iter_errors(body))
    if errors and all(error.validator in _SIZE_KEYWORDS for error in errors):
        raise ApiError(
            422,
            "batch_size",
            f"a batch holds 1 to {_max_items(component, name)} {name}, this one {len(body[name])}",
        )
    if errors:
        raise bad_request(
            f'the body must be a JSON object {{"{name}": [object, ...]}}: '
            f"{_few(schema_problems(body, openapi_validator(component)))}"
        )
    return body[name]


def _check_media_type() -> None:
    if request.mimetype != "application/json":
        raise bad_request(
            f"send the body as Content-Type: application/json, not {request.mimetype or 'nothing'!r}"
        )
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise bad_request(f"JSON is UTF-8, not {charset!r}")


def _max_items(component: str, name: str) -> int:
    return documents.openapi()["components"]["schemas"][component]["properties"][name]["maxItems"]


def _few(problems) -> str:
    shown = listed([p.as_dict() for p in problems[:_LISTED_PROBLEMS]])
    more = len(problems) - _LISTED_PROBLEMS
    return shown + (f"; and {more} more" if more > 0 else "")


# -- query parameters ---------------------------------------------------------------------


def query_value(name: str) -> str | None:
    """The one value of query parameter `name`, or None when it is not given."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise bad_request(f"{name}: give it once, not {len(values)} times")
    if values and values[0] == "":
        raise bad_request(f"{name}: give a value or leave the parameter out")
    return values[0] if values else None


def query_integer(
    name: str, default: int | None, lowest: int, highest: int | None = None
) -> int | None:
    """Query parameter `name` as a whole number from `lowest` to `highest` (None: no upper bound)."""
    raw = query_value(name)
    if raw is None:
        return default
    number = integer(raw)
    if number is None or number < lowest or (highest is not None and number > highest):
        upto = f" to {highest}" if highest is not None else " or more"
        raise bad_request(f"{name}: give a whole number from {lowest}{upto}, not {raw!r}")
    return number


def query_string(name: str, component: str) -> str | None:
    """Query parameter `name`, which must be a `component` of the contract (e.g. TrackingId)."""
    raw = query_value(name)
    if raw is not None and schema_problems(raw, openapi_validator(component)):
        raise bad_request(f"{name}: {raw[:80]!r} is not a valid {component}")
    return raw


def integer(raw: str) -> int | None:
    """`raw` as an integer when it is one written in ASCII digits; None otherwise. Never
    raises, whatever a client sends (int() alone takes '٣' and ' 3', and raises on '²')."""
    return int(raw) if _INTEGER.fullmatch(raw) else None
