"""Whether an email is noise: an auto-reply, a bounce, a read receipt, list mail, our own mail coming back."""

from __future__ import annotations

import re

from connector.channels.email.parse.attachments import _media_type
from connector.channels.email.parse.headers import _header, _one_line


def _noise(msg, sender: dict, own_domains: tuple[str, ...]) -> dict | None:
    """What kind of machine-made mail this is (first rule that matches), or None."""

    def found(kind, header, value):
        return {"kind": kind, "reason": f"{header}: {_one_line(value)[:120]}".rstrip()}

    auto = _header(msg, "Auto-Submitted")
    if auto is not None and auto.split(";")[0].strip().lower() != "no":
        return found("auto_reply", "Auto-Submitted", auto)
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response"):
        if (value := _header(msg, name)) is not None:
            return found("auto_reply", name, value)
    precedence = (_header(msg, "Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply", "auto-reply"):
        return found(
            "list" if precedence in ("bulk", "junk", "list") else "auto_reply",
            "Precedence",
            precedence,
        )
    if re.fullmatch(r"\s*<\s*>\s*", _header(msg, "Return-Path") or "x"):
        return found("bounce", "Return-Path", "<>")
    local = (sender["address"] or "").rpartition("@")[0].lower()
    if local in ("mailer-daemon", "postmaster"):
        return found("bounce", "From", sender["address"])
    report = _report_kind(msg)
    if report:
        return found(report[0], "Content-Type", f"multipart/report; report-type={report[1]}")
    for name in ("List-Id", "List-Unsubscribe"):
        if (value := _header(msg, name)) is not None:
            return found("list", name, value)
    domain = (sender["address"] or "").rpartition("@")[2]
    if domain and any(domain == d or domain.endswith("." + d) for d in own_domains):
        return {"kind": "auto_reply", "reason": "sent by this connector"}
    return None


def _report_kind(msg) -> tuple[str, str] | None:
    if _media_type(msg) != "multipart/report":
        return None
    try:
        report_type = str(msg.get_param("report-type") or "").lower()
    except Exception:  # why: malformed parameters make the policy parser raise
        return None
    kinds = {"delivery-status": "bounce", "disposition-notification": "receipt"}
    return (kinds[report_type], report_type) if report_type in kinds else None
