"""The connector's own Flask app: the health endpoint and the inbound webhooks (SMS
gateways); the operations console is a blueprint a later issue adds here."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from connector import __version__
from connector.outbox import queue as outbox
from connector.store.models import QuarantineItem

health = Blueprint("health", __name__)


@health.get("/health")
def get_health():
    store = current_app.extensions["lapor_store"]
    try:
        with store.transaction() as session:
            counts = {
                f"{kind} → {target}": states
                for (kind, target), states in outbox.counts_by_route(session).items()
            }
            quarantined = session.scalar(
                select(func.count())
                .select_from(QuarantineItem)
                .where(QuarantineItem.state == "open")
            )
    except SQLAlchemyError as exc:
        return jsonify({"status": "error", "store": type(exc).__name__}), 503
    return jsonify(
        {
            "status": "ok",
            "version": __version__,
            "connector_id": current_app.config["CONNECTOR_ID"],
            "outbox": counts,
            "quarantine_open": quarantined,
        }
    )


def create_app(connector) -> Flask:
    """The connector's web app around a running `connector.daemon.Connector`."""
    from connector.web.inbound import inbound

    app = Flask("lapor_connector")
    app.config["CONNECTOR_ID"] = connector.config.connector_id
    app.extensions["lapor_store"] = connector.store
    app.extensions["lapor_connector"] = connector
    app.register_blueprint(health)
    app.register_blueprint(inbound)
    return app
