"""The reference national hub as a Flask app: the exchange API under /api/v1.

`create_app(settings)` opens the hub's store and registers the endpoints
described in docs/design.md and at /api/v1/openapi.json: reports
(`reports_api.py`), status updates and the feed (`updates_api.py`), the national
side's admin API (`admin_api.py`), reconciliation and audit checkpoints
(`audit_api.py`), and, when the settings enable faults, drift
(`drift_api.py`) and the rules that make the exchange misbehave (`/_faults`, here). Every error is
`{"error": {"code", "message"}}`.

Not here: what the endpoints mean (`exchange.py`, `updates.py`, `national.py`),
the tables (`store.py`).
"""

from __future__ import annotations

from flask import Blueprint, Flask
from sqlalchemy.orm import sessionmaker
from werkzeug.exceptions import HTTPException

from .admin_api import admin_api
from .audit_api import audit_api
from .drift_api import drift_api
from .faults import Faults, InvalidFaultRulesError
from .inputs import bad_request, json_object
from .reports_api import reports_api
from .settings import HubSettings
from .store import open_store
from .updates_api import updates_api
from .web import EXTENSION, ApiError, HubState, api_error, http_error, hub, requires_connector

# 500 reports of the largest allowed size would be ~10 MB of body text alone.
MAX_REQUEST_BYTES = 64 * 1024 * 1024


def create_app(settings: HubSettings) -> Flask:
    """A hub app on the store named by `settings.store_url` (tables created if missing)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.json.sort_keys = False
    engine = open_store(settings.store_url)
    app.extensions[EXTENSION] = HubState(
        settings,
        engine,
        sessionmaker(engine, expire_on_commit=False),
        Faults(enabled=settings.faults_enabled),
    )
    for blueprint in (reports_api, updates_api, admin_api, audit_api):
        app.register_blueprint(blueprint)
    if settings.faults_enabled:
        # Only then: the hub's document lists them, and nothing it does not list may
        # answer (or show in an Allow header).
        app.register_blueprint(drift_api)
        app.register_blueprint(fault_api)
    app.register_error_handler(ApiError, api_error)
    app.register_error_handler(HTTPException, http_error)
    return app


# -- fault injection (registered only when the settings enable it) ----------------

fault_api = Blueprint("hub_faults", __name__, url_prefix="/api/v1")


@fault_api.post("/_faults")
@requires_connector
def set_faults():
    body = json_object()
    if set(body) != {"rules"}:
        raise bad_request('the body must be a JSON object {"rules": [rule, ...]}')
    try:
        hub().faults.set(body["rules"])
    except InvalidFaultRulesError as exc:
        raise ApiError(422, "invalid_rules", "; ".join(exc.problems)) from exc
    return {"rules": hub().faults.pending()}


@fault_api.delete("/_faults")
@requires_connector
def clear_faults():
    hub().faults.clear()
    return {"rules": []}
