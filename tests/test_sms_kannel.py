"""SMS through a real Kannel (bearerbox + smsbox) with fakesmsc as the operator: citizens'
messages reach the connector's web app through Kannel's post-url, reports reach the
reference hub, and answers go back through Kannel's sendsms to the citizen's phone.
Includes the connector being down while a thousand messages arrive."""

from __future__ import annotations

import random
import time

import pytest
import requests
from kannel import concat_udh, free_port
from peers import ROOT, connector_config, drain, running_hub
from sqlalchemy import func, select

from connector.daemon import Connector
from connector.store.models import Complaint, DeliveryReport, IntakeItem
from connector.web.app import create_app
from lapor_exchange.wsgi import ServerThread

SECRET = "kannel-secret-0123456789"
PHONE = "6281234567890"


def channel(kannel, web_port, **extra) -> dict:
    return {
        "id": "sms-1708",
        "kind": "sms_kannel",
        "profile": str(ROOT / "mappings" / "sms.yaml"),
        "secret": SECRET,
        "sendsms": {
            "url": kannel.sendsms_url,
            "username": kannel.sendsms_user,
            "password": kannel.sendsms_password,
        },
        "callback_url": f"http://127.0.0.1:{web_port}",
        "send_rate_per_s": 50,
        **extra,
    }


class World:
    def __init__(self, tmp_path, kannel_factory, hub_url="http://127.0.0.1:9", **options):
        self.port = free_port()
        self.kannel = kannel_factory(
            f"http://127.0.0.1:{self.port}/inbound/sms-1708?secret={SECRET}", **options
        )
        config = connector_config(
            tmp_path, hub_url, "http://127.0.0.1:9", channels=[channel(self.kannel, self.port)]
        )
        self.connector = Connector(config)
        self.connector.store.upgrade()
        self.web = None
        self.up()

    def up(self):
        self.web = ServerThread(
            create_app(self.connector), "127.0.0.1", self.port, name="connector-web"
        ).start()

    def down(self):
        self.web.stop()

    def close(self):
        self.down()
        self.connector.close()

    def stored(self, *where) -> int:
        with self.connector.store.transaction() as s:
            return s.scalar(select(func.count()).select_from(IntakeItem).where(*where))

    def wait_stored(self, n, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.stored() < n:
            time.sleep(0.2)
        return self.stored()


def test_the_advertised_sms_reaches_the_hub_and_the_sender_gets_its_tracking_id_through_kannel(
    tmp_path, kannel_factory
):
    with running_hub(tmp_path) as (_, hub):
        world = World(tmp_path, kannel_factory, hub.url)
        try:
            world.kannel.send_mo(PHONE, "LAPORPAMAN Jalan rusak di Jl. A. Yani km 5 Banjarbaru")
            assert world.wait_stored(1) == 1
            drain(world.connector)
            with world.connector.store.transaction() as s:
                c = s.scalars(select(Complaint)).one()
                tracking, report = c.tracking_id, c.report
            assert (
                report["location"]["region_code"] == "63.72"
                and report["complainant"]["phone"] == "+" + PHONE
            )
            [ack] = world.kannel.wait_for_mt(1)
            assert (
                ack.receiver.lstrip("+") == PHONE and ack.sender == "1708" and tracking in ack.text
            )
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                with world.connector.store.transaction() as s:
                    reports = s.scalars(select(DeliveryReport.status)).all()
                if "delivered" in reports:
                    break
                time.sleep(0.3)
            assert (
                "delivered" in reports
            )  # Kannel's delivery report, recorded against our outbox item
        finally:
            world.close()


def test_a_request_without_the_secret_or_from_elsewhere_gets_401_and_stores_nothing(
    tmp_path, kannel_factory
):
    world = World(tmp_path, kannel_factory)
    try:
        url = f"http://127.0.0.1:{world.port}/inbound/sms-1708"
        params = {"from": PHONE, "to": "1708", "id": "x-1", "coding": "0"}
        assert (
            requests.post(url, params=params, data=b"LAPORPAMAN jalan rusak", timeout=5).status_code
            == 401
        )
        assert (
            requests.post(
                url, params={**params, "secret": "wrong"}, data=b"LAPORPAMAN jalan", timeout=5
            ).status_code
            == 401
        )
        assert (
            requests.post(
                url, params=params, data=b"LAPORPAMAN jalan", auth=("kannel", SECRET), timeout=5
            ).status_code
            == 202
        )
        world.connector.channels[
            "sms-1708"
        ].allowed = []  # as if Kannel posted from an address not allowed
        assert (
            requests.post(
                url,
                params={**params, "id": "x-2", "secret": SECRET},
                data=b"LAPORPAMAN x",
                timeout=5,
            ).status_code
            == 401
        )
        assert world.stored() == 1
    finally:
        world.close()


def test_ucs2_and_emoji_arrive_exactly(tmp_path, kannel_factory):
    world = World(tmp_path, kannel_factory)
    try:
        text = "LAPORPAMAN Banjir lagi di Kelurahan Kuin 😢🙏 air masuk rumah, Banjarmasin"
        world.kannel.send_ucs2(PHONE, text)
        assert world.wait_stored(1) == 1
        world.connector.cycle()
        with world.connector.store.transaction() as s:
            c = s.scalars(select(Complaint)).one()
        assert (
            c.report["body"] == text[len("LAPORPAMAN ") :]
            and c.report["location"]["region_code"] == "63.71"
        )
    finally:
        world.close()


def test_multipart_shuffled_and_repeated_is_exact_and_a_missing_part_is_a_noted_gap(
    tmp_path, kannel_factory
):
    world = World(tmp_path, kannel_factory, concat_timeout_s=1)
    try:
        whole = [
            "LAPORPAMAN Lampu penerangan jalan di sepanjang Jl. Ahmad Yani ",
            "Km 10 sampai Km 12 Kabupaten Banjar ",
            "sudah mati dua minggu, rawan kecelakaan.",
        ]
        world.kannel.send_parts(PHONE, [(concat_udh(9, 3, n), whole[n - 1]) for n in (2, 3, 2, 1)])
        gap = [
            "LAPORPAMAN Pungutan liar di loket Samsat ",
            "lupa bagian ini ",
            "Banjarbaru, mohon ditindak.",
        ]
        world.kannel.send_parts(
            "6282255556666", [(concat_udh(10, 3, n), gap[n - 1]) for n in (3, 1)]
        )
        time.sleep(4)  # Kannel gives up waiting for the missing part and posts each piece alone
        world.connector.channels["sms-1708"].parts_timeout_s = 0.1
        time.sleep(0.2)
        world.connector.cycle()
        with world.connector.store.transaction() as s:
            bodies = sorted(c.report["body"] for c in s.scalars(select(Complaint)))
        assert bodies == sorted(
            [
                "".join(whole)[len("LAPORPAMAN ") :],
                "Pungutan liar di loket Samsat [… bagian 2 dari 3 tidak diterima …]Banjarbaru, mohon ditindak.",
            ]
        )
    finally:
        world.close()


@pytest.mark.slow
def test_a_thousand_sms_while_the_connector_is_down_for_part_of_the_run(tmp_path, kannel_factory):
    world = World(tmp_path, kannel_factory, http_request_retry=30, retry_delay_s=1)
    rng = random.Random(1708)
    places = [
        "Banjarbaru",
        "Banjarmasin",
        "Martapura",
        "Kotabaru",
        "Barabai",
        "Amuntai",
        "Pelaihari",
        "Tanjung",
    ]
    try:
        for i in range(1000):
            if i == 300:
                world.down()  # the connector stops answering; Kannel keeps the posts and retries
            if i == 650:
                world.up()
            world.kannel.send_mo(
                f"62812{rng.randrange(10**7):07d}",
                f"LAPORPAMAN laporan nomor {i}: jalan rusak di {places[i % 8]}",
            )
        stored = world.wait_stored(1000, timeout=180)
        assert stored == 1000, f"{stored} stored; Kannel's logs:\n{world.kannel.logs_tail(40)}"
        assert "Couldn't fetch" in world.kannel.smsbox_log.read_text(
            errors="replace"
        )  # posts failed and were retried
        time.sleep(2)  # any late retry would show now
        assert world.stored() == 1000
        with world.connector.store.transaction() as s:
            assert s.scalar(select(func.count(func.distinct(IntakeItem.external_id)))) == 1000
            assert s.scalar(select(func.count()).select_from(Complaint)) == 1000
    finally:
        world.close()
