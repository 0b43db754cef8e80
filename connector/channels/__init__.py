"""Channel kinds: a table from kind name to class, imported only when used.

Adding a channel kind means adding its module and one line here.
"""

from __future__ import annotations

from importlib import import_module

from connector.channels.base import Channel, ChannelContext

KINDS = {
    "portal": "connector.channels.portal.channel:PortalChannel",
    "email": "connector.channels.email.channel:EmailChannel",
    "sms_kannel": "connector.channels.sms.kannel:KannelChannel",
    "sms_webhook": "connector.channels.sms.webhook:WebhookSmsChannel",
    "sms_gammu": "connector.channels.sms.gammu:GammuChannel",
}


def known_kinds() -> list[str]:
    return sorted(KINDS)


def channel_class(kind: str) -> type[Channel]:
    module, _, name = KINDS[kind].partition(":")
    return getattr(import_module(module), name)


def build(config) -> dict[str, Channel]:
    """Channel objects for the enabled channels of a checked `Config`, by channel id."""
    from connector.errors import ConfigError
    from connector.http import RetryPolicy

    context = ChannelContext(
        config.connector_id,
        config.tz,
        float(config.hub["timeout_s"]),
        RetryPolicy.from_config(config.retry),
    )
    built, problems = {}, []
    for i, settings in enumerate(config.channels):
        if not settings.get("enabled", True):
            continue
        try:
            built[settings["id"]] = channel_class(settings["kind"])(settings, context)
        except ConfigError as exc:
            problems += [f"channels[{i}] ({settings['id']}): {p}" for p in exc.problems]
    if problems:
        raise ConfigError(problems, source=str(config.path or "config"))
    return built
