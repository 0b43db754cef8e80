"""The connector's error classes.

One root, `ConnectorError`. Each class has a stable `code` used in the store,
audit entries and API answers. Two mix-ins decide what happens next to an item:
`TransientError` (retry it later) and `PermanentError` (park it with its reason).
HTTP statuses become these classes in one place: `connector.hub_client.error_for_response`.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Root of every error the connector raises on purpose."""

    code = "connector_error"

    def __init__(self, message: str, **context):
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return self.message


class TransientError(ConnectorError):
    """Worth retrying: connection refused, timeout, 408/425/429, 5xx."""

    code = "transient"

    def __init__(self, message: str, retry_after_s: float | None = None, **context):
        super().__init__(message, **context)
        self.retry_after_s = retry_after_s


class PermanentError(ConnectorError):
    """Retrying will not help: park the item with its reason."""

    code = "permanent"


class ConfigError(PermanentError):
    """The configuration (or a file it names) is wrong. Carries every problem, one per line."""

    code = "config_invalid"

    def __init__(self, problems: list[str], source: str = "config"):
        self.problems = list(problems)
        self.source = source
        super().__init__("\n".join(f"{source}: {p}" for p in self.problems))


class ProfileError(ConfigError):
    """A mapping profile is wrong (unknown transform, bad table, …)."""

    code = "profile_invalid"


class NotFoundError(PermanentError):
    """The peer does not know the thing asked for (HTTP 404)."""

    code = "not_found"


class HubUnavailableError(TransientError):
    code = "hub_unavailable"


class HubRejectedError(PermanentError):
    code = "hub_rejected"


class SourceUnavailableError(TransientError):
    """A channel's source (portal, mailbox, gateway) could not be reached just now."""

    code = "source_unavailable"


class SourceRejectedError(PermanentError):
    """A channel's source refused us (bad credentials, bad request)."""

    code = "source_rejected"


def describe(exc: BaseException) -> str:
    """A one-line description of an unexpected error that is safe to log.

    Database errors are reduced to their class and SQLSTATE: PostgreSQL's own
    message quotes the failing row ("Failing row contains (…)"), and rows hold
    personal data. Everything else keeps its message.
    """
    orig = getattr(exc, "orig", None)
    if orig is not None and type(exc).__module__.startswith("sqlalchemy"):
        state = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None) or "?"
        return f"database error {type(exc).__name__} ({type(orig).__name__}, {state}); details withheld"
    return f"{type(exc).__name__}: {exc}"
