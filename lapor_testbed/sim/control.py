"""`/_sim`: steering the portal simulator from the tests and the demo (no auth, never faulted).

Check what the connector should have done (`/expected`), read a record without the
API's token, add records, move a record's time, play the portal's own staff (a local
follow-up, a bare status change, with any status code), and switch faults on and off.
Not here: the vendor-facing API (`connector.sim.api`), the state (`connector.sim.portal`).
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from lapor_testbed.sim.portal import LOCAL_OFFICER, InvalidTanggapan, PortalSim

MAX_NEW_RECORDS = 10_000

control = Blueprint("control", __name__, url_prefix="/_sim")


def current_sim() -> PortalSim:
    """The simulator the running app serves."""
    return current_app.extensions["portal_sim"]


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _no_record(record_id: int):
    return jsonify(error=f"no record {record_id}"), 404


def _status_line(record: dict) -> dict:
    return {
        "id": record["id"],
        "status": record["status"],
        "diperbarui_pada": record["diperbarui_pada"],
    }


@control.get("/expected")
def expected():
    return jsonify(current_sim().expected())


@control.post("/records")
def add_records():
    count = _body().get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_NEW_RECORDS:
        return jsonify(error=f"count must be a whole number from 1 to {MAX_NEW_RECORDS}"), 422
    return jsonify(ids=current_sim().add(count)), 201


@control.get("/records/<int:record_id>")
def show_record(record_id: int):
    """The record as stored (attachment urls are paths), with its follow-ups."""
    record = current_sim().get(record_id)
    return _no_record(record_id) if record is None else jsonify(data=record)


@control.post("/records/<int:record_id>/touch")
def touch_record(record_id: int):
    try:
        record = current_sim().touch(record_id, _body().get("status"))
    except ValueError as exc:
        return jsonify(error=str(exc)), 422
    return _no_record(record_id) if record is None else jsonify(_status_line(record))


@control.post("/records/<int:record_id>/tanggapan")
def local_tanggapan(record_id: int):
    """Local staff write a follow-up (ref null): any status code goes, even one no profile knows."""
    body = _body()
    oleh = body.get("oleh")
    try:
        posted = current_sim().add_tanggapan(
            record_id,
            isi=body.get("isi"),
            status=body.get("status"),
            oleh=LOCAL_OFFICER if oleh is None else oleh,
            waktu=body.get("waktu"),
        )
    except InvalidTanggapan as exc:
        return jsonify(error=str(exc), errors=exc.problems), 422
    return _no_record(record_id) if posted is None else (jsonify(data=posted.tanggapan), 201)


@control.post("/records/<int:record_id>/status")
def set_status(record_id: int):
    """Local staff change the status without a follow-up: any non-blank code goes."""
    try:
        record = current_sim().set_status(record_id, _body().get("status"))
    except ValueError as exc:
        return jsonify(error=str(exc)), 422
    return _no_record(record_id) if record is None else jsonify(_status_line(record))


@control.post("/faults")
def set_faults():
    body = _body()
    status, times, retry_after = body.get("status"), body.get("times", 1), body.get("retry_after")
    if not isinstance(status, int) or not 400 <= status <= 599:
        return jsonify(error="status must be an HTTP error status (400-599)"), 422
    if (
        not isinstance(times, int)
        or times < 1
        or (retry_after is not None and not isinstance(retry_after, int))
    ):
        return jsonify(error="times must be >= 1 and retry_after whole seconds"), 422
    current_sim().set_fault(status, times, retry_after)
    return jsonify(fault=current_sim().fault_state())


@control.get("/faults")
def show_faults():
    return jsonify(fault=current_sim().fault_state())


@control.delete("/faults")
def clear_faults():
    current_sim().clear_fault()
    return jsonify(fault=None)
