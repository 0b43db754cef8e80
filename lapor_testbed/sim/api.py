"""The portal simulator's HTTP API over a `PortalSim`:

- `/api/aduan` (bearer token): Laravel-style pages ordered by (diperbarui_pada, id),
  one record, and `POST /api/aduan/<id>/tanggapan`, where the connector pushes a
  national update as a follow-up (idempotent on its `ref`);
- `/api/v2/complaints` (X-Api-Key): the same records in another vendor's shape,
  with opaque cursors, to show a second portal needs only a mapping profile;
- `/files/...`: the seeded attachments, whose bytes match their sha256;
- `/_sim/...` (no auth, `connector.sim.control`): what the tests and the demo need
  to steer and check it, including the portal's own staff at work.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
from datetime import datetime, timedelta
from urllib.parse import quote

from flask import Blueprint, Flask, current_app, jsonify, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from lapor_testbed.sim import seed as seeding
from lapor_testbed.sim.control import control, current_sim
from lapor_testbed.sim.portal import NATIONAL_ADMIN, InvalidTanggapan, PortalSim
from lapor_testbed.sim.seed import TIME_FORMAT, WITA

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
V2_KINDS = {
    "Pengaduan": "complaint",
    "Aspirasi": "aspiration",
    "Permintaan Informasi": "information_request",
}
V2_STATES = {"baru": "new", "proses": "in_progress", "selesai": "resolved", "ditolak": "rejected"}
TANGGAPAN_FIELDS = ("isi", "status", "oleh", "waktu", "ref")


def page_bounds(page: int, per_page: int, overlap: int) -> tuple[int, int]:
    """Slice [start, end) of page `page`; with an overlap every later page starts `overlap` rows early."""
    start = (page - 1) * per_page
    if page > 1:
        start = max(0, start - overlap)
    return start, page * per_page


class InvalidParameter(Exception):
    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name, self.message = name, message


def create_app(sim: PortalSim) -> Flask:
    """The simulator's Flask app, serving `sim`."""
    app = Flask("portal_sim")
    app.json.sort_keys = False  # keep the portal's own field order, as PHP's json_encode does
    app.extensions["portal_sim"] = sim
    app.register_blueprint(api_v1)
    app.register_blueprint(api_v2)
    app.register_blueprint(files)
    app.register_blueprint(control)
    app.before_request(_inject_fault)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _inject_fault():
    if not request.path.startswith("/api/"):
        return None
    fault = current_sim().take_fault()
    if fault is None:
        return None
    response = jsonify(message=HTTP_STATUS_CODES.get(fault.status, "Error"))
    response.status_code = fault.status
    if fault.retry_after is not None:
        response.headers["Retry-After"] = str(fault.retry_after)
    return response


def _http_error(exc: HTTPException):
    response = jsonify(message=exc.name)
    response.status_code = exc.code
    return response


def _token_ok(given: str | None) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), current_sim().token.encode())


def _int_arg(name: str, default: int, minimum: int) -> int:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(name, f"{name} harus berupa bilangan bulat.") from None
    if value < minimum:
        raise InvalidParameter(name, f"{name} minimal {minimum}.")
    return value


def _absolute_files(record: dict) -> dict:
    base = request.host_url.rstrip("/")
    lampiran = [{**f, "url": base + quote(f["url"])} for f in record.get("lampiran") or []]
    return {**record, "lampiran": lampiran}


# -- /api/aduan: the Laporpaman (Laravel) shape --------------------------------

api_v1 = Blueprint("api_v1", __name__, url_prefix="/api/aduan")


@api_v1.before_request
def _bearer_auth():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not _token_ok(token.strip()):
        return jsonify(message="Unauthenticated."), 401
    return None


@api_v1.errorhandler(InvalidParameter)
def _laravel_parameter_error(exc: InvalidParameter):
    return _laravel_422({exc.name: exc.message})


@api_v1.errorhandler(InvalidTanggapan)
def _laravel_tanggapan_error(exc: InvalidTanggapan):
    return _laravel_422(exc.problems)


def _laravel_422(problems: dict[str, str]):
    # Laravel's shape: the first message (and how many more) plus every message by field.
    first, more = next(iter(problems.values())), len(problems) - 1
    message = f"{first} (dan {more} kesalahan lainnya)" if more else first
    return jsonify(message=message, errors={name: [text] for name, text in problems.items()}), 422


@api_v1.get("")
def list_aduan():
    since = _v1_since(request.args.get("diperbarui_sejak", ""))
    page = _int_arg("page", 1, minimum=1)
    per_page = min(_int_arg("per_page", DEFAULT_PER_PAGE, minimum=1), MAX_PER_PAGE)
    sim = current_sim()
    rows = sim.updated_since(since)
    last_page = max(1, math.ceil(len(rows) / per_page))
    start, end = page_bounds(page, per_page, sim.page_overlap)
    if sim.take_stale_page(page):
        # A stale cache answers page N with page N-1's records; the envelope is page N's.
        start, end = page_bounds(page - 1, per_page, sim.page_overlap)
    data = [_absolute_files(r) for r in rows[start:end]]
    return jsonify(
        data=data,
        links=_v1_links(page, last_page),
        meta=_v1_meta(page, per_page, len(rows), last_page, start, len(data)),
    )


@api_v1.get("/<int:record_id>")
def show_aduan(record_id: int):
    record = current_sim().get(record_id)
    if record is None:
        return jsonify(message="Aduan tidak ditemukan."), 404
    return jsonify(data=_absolute_files(record))


@api_v1.post("/<int:record_id>/tanggapan")
def push_tanggapan(record_id: int):
    """A national update pushed by the connector: 201 with the new follow-up, 200 with the
    one already holding this `ref` (nothing changes), 422, or 404."""
    given = _laravel_input(request.get_json(silent=True), TANGGAPAN_FIELDS)
    if given["oleh"] is None:
        given["oleh"] = NATIONAL_ADMIN
    posted = current_sim().add_tanggapan(record_id, **given, strict=True)
    if posted is None:
        return jsonify(message="Aduan tidak ditemukan."), 404
    return jsonify(data=posted.tanggapan), 201 if posted.created else 200


def _laravel_input(body, fields: tuple[str, ...]) -> dict:
    """The named fields of a JSON body as Laravel hands them to a controller: a body that is
    not an object counts as empty, and an empty string as null (ConvertEmptyStringsToNull)."""
    body = body if isinstance(body, dict) else {}
    return {name: None if body.get(name) == "" else body.get(name) for name in fields}


def _v1_since(raw: str) -> str | None:
    if raw.strip() == "":
        return None
    try:
        return datetime.strptime(raw.strip(), TIME_FORMAT).strftime(TIME_FORMAT)
    except ValueError:
        raise InvalidParameter(
            "diperbarui_sejak", "diperbarui sejak tidak cocok dengan format Y-m-d H:i:s."
        ) from None


def _v1_page_url(page: int) -> str:
    args = {k: v for k, v in request.args.items() if k != "page"}
    return url_for("api_v1.list_aduan", _external=True, **args, page=page)


def _v1_links(page: int, last_page: int) -> dict:
    return {
        "first": _v1_page_url(1),
        "last": _v1_page_url(last_page),
        "prev": _v1_page_url(page - 1) if page > 1 else None,
        "next": _v1_page_url(page + 1) if page < last_page else None,
    }


def _v1_meta(page: int, per_page: int, total: int, last_page: int, start: int, count: int) -> dict:
    return {
        "current_page": page,
        "from": start + 1 if count else None,
        "last_page": last_page,
        "path": url_for("api_v1.list_aduan", _external=True),
        "per_page": per_page,
        "to": start + count if count else None,
        "total": total,
    }


# -- /api/v2/complaints: another vendor's shape over the same records ---------

api_v2 = Blueprint("api_v2", __name__, url_prefix="/api/v2")


@api_v2.before_request
def _api_key_auth():
    if not _token_ok(request.headers.get("X-Api-Key")):
        return jsonify(error="invalid_api_key", detail="A valid X-Api-Key header is required."), 401
    return None


@api_v2.errorhandler(InvalidParameter)
def _v2_parameter_error(exc: InvalidParameter):
    return jsonify(error="invalid_parameter", parameter=exc.name, detail=exc.message), 400


@api_v2.get("/complaints")
def list_complaints():
    limit = min(_int_arg("limit", DEFAULT_PER_PAGE, minimum=1), MAX_PER_PAGE)
    raw_cursor = request.args.get("cursor", "")
    # A cursor carries the walk's modified_since, so later calls need only the cursor.
    since, after = (
        _decode_cursor(raw_cursor)
        if raw_cursor
        else (_v2_since(request.args.get("modified_since", "")), None)
    )
    rows = current_sim().updated_since(since)
    if after is not None:
        rows = [r for r in rows if (r["diperbarui_pada"], r["id"]) > after]
    page, more = rows[:limit], len(rows) > limit
    next_cursor = _encode_cursor(since, page[-1]) if more else None
    return jsonify(items=[to_v2(_absolute_files(r)) for r in page], next_cursor=next_cursor)


def _v2_since(raw: str) -> str | None:
    if raw.strip() == "":
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidParameter(
            "modified_since", "must be ISO 8601 with a UTC offset, e.g. 2026-03-01T08:00:00+08:00"
        )
    local = moment.astimezone(WITA).replace(tzinfo=None)
    # Records carry whole seconds: ">= 09:15:00.5" means ">= 09:15:01".
    if local.microsecond:
        local = local.replace(microsecond=0) + timedelta(seconds=1)
    return local.strftime(TIME_FORMAT)


def _encode_cursor(since: str | None, last: dict) -> str:
    state = {"s": since, "u": last["diperbarui_pada"], "i": last["id"]}
    return (
        base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode())
        .decode()
        .rstrip("=")
    )


def _decode_cursor(raw: str) -> tuple[str | None, tuple[str, int]]:
    try:
        state = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        return state["s"], (str(state["u"]), int(state["i"]))
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidParameter("cursor", "is not a cursor this API issued") from None


def to_v2(record: dict) -> dict:
    """A Laporpaman record in the v2 vendor's shape; broken fields stay broken."""
    item = {"ref": f"KS-{record['id']}", "subject": record.get("judul")}
    if "isi" in record:
        item["description"] = record["isi"]
    pelapor = record.get("pelapor") or {}
    flags = {"private": record.get("rahasia") == 1}
    if "anonim" in record:
        flags = {"hide_identity": record["anonim"] == "ya", **flags}
    agency = record.get("instansi_tujuan")
    item.update(
        {
            "kind": V2_KINDS.get(record.get("klasifikasi"), record.get("klasifikasi")),
            "topic": {"name": record.get("kategori")},
            "place": {"address": record.get("lokasi")},
            "incident_on": _iso_date(record.get("tanggal_kejadian")),
            "reporter": {
                "full_name": pelapor.get("nama"),
                "contact": {"mobile": pelapor.get("hp"), "mail": pelapor.get("email")},
                "national_id": pelapor.get("nik"),
            },
            "flags": flags,
            "agency": {"code": agency["kode"], "name": agency["nama"]} if agency else None,
            "state": V2_STATES.get(record.get("status"), record.get("status")),
            "created": _iso_moment(record.get("dibuat_pada")),
            "modified": _iso_moment(record.get("diperbarui_pada")),
            "files": [
                {
                    "name": f["nama_file"],
                    "mime": f["tipe"],
                    "bytes": f["ukuran"],
                    "sha256": f["sha256"],
                    "href": f["url"],
                }
                for f in record.get("lampiran") or []
            ],
            "responses": [_v2_response(t) for t in record.get("tanggapan") or []],
        }
    )
    return item


def _v2_response(tanggapan: dict) -> dict:
    status = tanggapan["status"]
    return {
        "id": tanggapan["id"],
        "text": tanggapan["isi"],
        "by": tanggapan["oleh"],
        "at": _iso_moment(tanggapan["waktu"]),
        "state": None if status is None else V2_STATES.get(status, status),
        "ref": tanggapan["ref"],
    }


def _iso_date(text: str | None) -> str | None:
    if not text:
        return None
    return datetime.strptime(text, seeding.INCIDENT_FORMAT).date().isoformat()


def _iso_moment(text: str | None) -> str | None:
    # An unparseable time passes through unchanged: the v2 view keeps bad records bad.
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=WITA).isoformat()
    except (TypeError, ValueError):
        return text


# -- /files: the attachments ---------------------------------------------------

files = Blueprint("files", __name__, url_prefix="/files")


@files.get("/<int:record_id>/<int:number>/<path:name>")
def attachment(record_id: int, number: int, name: str):
    record = current_sim().get(record_id) or {}
    lampiran = record.get("lampiran") or []
    if not 1 <= number <= len(lampiran) or lampiran[number - 1]["nama_file"] != name:
        return jsonify(message="File tidak ditemukan."), 404
    meta = lampiran[number - 1]
    body = seeding.attachment_bytes(
        current_sim().seed, record_id, number - 1, meta["ukuran"], meta["tipe"]
    )
    return current_app.response_class(body, mimetype=meta["tipe"])
