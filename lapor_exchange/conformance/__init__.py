"""The conformance kit: check a hub or reports against the published documents, and a
strict recording hub built from them for tests. Nothing here trusts any implementation:
every judgement comes from the documents.

- `contract`: the OpenAPI document read as operations; answers judged against it.
- `strict_hub` (with `strict_routes`, `strict_state`): `StrictHub`, for tests.
- `check_hub` (with `client`, `checks`, `checks_core`, `checks_optional`): `check-hub`.
- `check_report`: `check-report`. `cli`: the `lapor-exchange` command.

Not here: anything of the connector or the reference hub (this package imports neither).
"""

from .strict_hub import StrictHub

__all__ = ["StrictHub"]
