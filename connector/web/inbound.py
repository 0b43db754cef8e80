"""Inbound webhooks: sources that push to the connector (SMS gateways) post here.

`POST /inbound/<channel id>`: the channel checks the request (secret, signature, address)
and reads the raw items; they are committed before the answer goes out, so a source that
gets no 2xx knows to try again. A refused request stores nothing. `…/dlr`: delivery
reports for what the connector sent through that channel.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from connector.channels.base import RejectedRequest
from connector.errors import describe
from connector.intake.pipeline import receive_items
from connector.store.models import DeliveryReport

log = logging.getLogger(__name__)
inbound = Blueprint("inbound", __name__)


def _channel(channel_id: str):
    connector = current_app.extensions["lapor_connector"]
    channel = connector.channels.get(channel_id)
    if channel is None or not channel.receives:
        abort(404)
    return connector, channel


@inbound.post("/inbound/<channel_id>")
def receive(channel_id: str):
    connector, channel = _channel(channel_id)
    try:
        items = channel.receive(request)
    except RejectedRequest as exc:
        log.warning("%s: refused a request from %s: %s", channel_id, request.remote_addr, exc)
        return jsonify(error=str(exc)), exc.status
    try:
        stats = receive_items(connector.store, channel, connector.normalizers[channel_id], items)
    except SQLAlchemyError as exc:
        log.error(
            "%s: could not store a pushed message (%s); the sender will retry",
            channel_id,
            describe(exc),
        )
        return jsonify(error="not stored; try again"), 503
    connector.received(stats)
    return "", 202  # empty: Kannel would send a body back to the citizen as an SMS


@inbound.route("/inbound/<channel_id>/dlr", methods=["GET", "POST"])
def delivery_report(channel_id: str):
    connector, channel = _channel(channel_id)
    try:
        report = channel.delivery_report(request)
    except (RejectedRequest, NotImplementedError) as exc:
        status = exc.status if isinstance(exc, RejectedRequest) else 404
        return jsonify(error=str(exc) or "no delivery reports on this channel"), status
    with connector.store.transaction() as session:
        session.add(DeliveryReport(channel_id=channel_id, **report))
    return "", 202
