"""Shared fixtures: stores on SQLite and on the machine's PostgreSQL.

PostgreSQL is reached at LAPOR_TEST_PG_URL (default: the local server with trust
auth). Each test run creates its own database and drops it at the end. The
PostgreSQL cases are marked `postgres`; they fail (not skip) when the server is
missing, because CI must run them.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

from connector.store.db import Store
from connector.store.models import Base

PG_ADMIN_URL = os.environ.get(
    "LAPOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def temporary_database():
    """Create a PostgreSQL database with a unique name; drop it on exit."""
    name = f"lapor_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database_url():
    with temporary_database() as url:
        yield url


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database for one test."""
    with temporary_database() as url:
        yield url


@pytest.fixture(scope="session")
def pg_store(pg_database_url):
    store = Store(pg_database_url)
    store.upgrade()
    yield store
    store.dispose()


def _empty(store: Store) -> None:
    # TRUNCATE does not fire the row triggers that keep intake_items immutable.
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    """A database URL on each backend: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    """An upgraded, empty store on each backend."""
    if request.param == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'connector.db'}")
        store.upgrade()
        yield store
        store.dispose()
    else:
        store = request.getfixturevalue("pg_store")
        _empty(store)
        yield store


# Real mail servers on loopback (tests/mailservers.py). Imported inside the fixtures so that a
# missing aiosmtpd cannot break unrelated tests; a missing Dovecot makes these fixtures fail,
# never skip, because CI installs it.


@pytest.fixture(scope="session")
def dovecot():
    """One private Dovecot IMAP server for the whole run, in its own temporary folder."""
    from mailservers import Dovecot

    with Dovecot() as server:
        yield server


@pytest.fixture
def mailbox(dovecot):
    """A fresh Dovecot user with an empty INBOX (a mailservers.Mailbox)."""
    from mailservers import Mailbox

    user, password = dovecot.add_user()
    return Mailbox(dovecot, user, password)


@pytest.fixture
def smtp_server(request, tmp_path):
    """A started SmtpCapture; parametrize indirectly with its options, e.g. {"auth": (u, p)}."""
    from mailservers import SmtpCapture

    options = getattr(request, "param", {})
    with SmtpCapture(folder=tmp_path / "smtp-tls", **options) as server:
        yield server


# A real Kannel (bearerbox + smsbox) with fakesmsc as the operator (tests/kannel.py). Imported
# inside the fixture like the mail servers; a missing Kannel makes it fail, never skip.


@pytest.fixture
def kannel_factory(tmp_path):
    """make(mo_url, **options) -> a started kannel.Kannel in its own folder under tmp_path.

    Options are Kannel's keyword arguments (http_request_retry, retry_delay_s, send_sender,
    mo_recode, concat_timeout_s, ...). Every Kannel made is stopped when the test ends.
    """
    from kannel import Kannel

    made = []

    def make(mo_url: str, **options):
        gateway = Kannel(tmp_path / f"kannel-{len(made)}", mo_url, **options)
        made.append(gateway)
        return gateway.start()

    yield make
    for gateway in made:
        gateway.stop()


# The reference hub on a temporary SQLite file, through Flask's test client (a module
# may define its own `app` for other settings).
@pytest.fixture
def app(tmp_path):
    from hub_helpers import hub_settings

    from lapor_hub.app import create_app

    app = create_app(hub_settings(tmp_path))
    yield app
    app.extensions["lapor_hub"].close()


@pytest.fixture
def client(app):
    return app.test_client()
