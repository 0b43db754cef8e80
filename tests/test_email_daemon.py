"""200 mails in a real Dovecot mailbox, the daemon (a real process) killed with SIGKILL
in the middle and started again: every mail ends as exactly one outcome, nothing is
lost or processed twice, and every accepted complaint's author gets exactly one
acknowledgement with its tracking id."""

from __future__ import annotations

import signal
import time
from collections import defaultdict

import pytest
from peers import connector_config, running_hub
from sqlalchemy import func, select
from test_daemon import outbox_counts, start_daemon, wait_for
from test_email_channel import email_channel

from connector.store.db import Store
from connector.store.models import Complaint, IntakeItem

pytestmark = pytest.mark.slow
PLACES = [
    "Banjarbaru",
    "Banjarmasin",
    "Martapura",
    "Kotabaru",
    "Barabai",
    "Amuntai",
    "Pelaihari",
    "Rantau",
]


def complaint_mail(i: int) -> bytes:
    place = PLACES[i % len(PLACES)]
    return (
        f"From: Warga {i} <warga{i}@example.id>\r\nTo: pengaduan@kalselprov.go.id\r\n"
        f"Subject: Jalan berlubang di {place} nomor {i}\r\nMessage-ID: <keluhan-{i}@mail.example.id>\r\n"
        f"Date: Mon, 03 Mar 2025 08:{i % 60:02d}:00 +0800\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Yth. Admin, jalan di {place} berlubang dan membahayakan pengendara. Mohon segera diperbaiki.\r\n"
    ).encode()


def noise_mail(i: int) -> bytes:
    return (
        f"From: Warga {i} <warga{i}@example.id>\r\nTo: pengaduan@kalselprov.go.id\r\n"
        f"Subject: Sedang cuti\r\nMessage-ID: <cuti-{i}@mail.example.id>\r\nAuto-Submitted: auto-replied\r\n"
        f"Date: Mon, 03 Mar 2025 09:00:00 +0800\r\n\r\nSaya sedang cuti sampai tanggal 10.\r\n"
    ).encode()


def empty_body_mail(i: int) -> bytes:
    return (
        f"From: Warga {i} <warga{i}@example.id>\r\nTo: pengaduan@kalselprov.go.id\r\n"
        f"Subject: (tanpa isi)\r\nMessage-ID: <kosong-{i}@mail.example.id>\r\n"
        f"Date: Mon, 03 Mar 2025 10:00:00 +0800\r\nContent-Type: text/plain\r\n\r\n"
    ).encode()


def test_two_hundred_mails_with_a_kill_in_the_middle(tmp_path, mailbox, smtp_server):
    mails = (
        [complaint_mail(i) for i in range(170)]
        + [noise_mail(i) for i in range(170, 190)]
        + [empty_body_mail(i) for i in range(190, 200)]
    )
    for raw in mails:
        mailbox.append(raw)
    with running_hub(tmp_path) as (hub_app, hub):
        hub_app.extensions["lapor_hub"].faults.set(
            [{"action": "delay", "seconds": 0.3, "times": 1000}]
        )
        config = connector_config(
            tmp_path,
            hub.url,
            "http://127.0.0.1:9",
            delivery={"lease_s": 2},
            channels=[email_channel(mailbox, smtp_server, batch_size=5)],
        )
        store = Store(config.store_url)

        def stored():
            try:
                with store.transaction() as s:
                    return s.scalar(select(func.count()).select_from(IntakeItem))
            except Exception:  # the daemon has not made its tables yet
                return 0

        daemon = start_daemon(config.path, tmp_path / "daemon.log")
        try:
            wait_for(lambda: stored() >= 20, 60, "the first batches stored")
            daemon.send_signal(signal.SIGKILL)
            daemon.wait(10)
            # in the middle: mail still to read, or reports and acknowledgements still to send
            assert stored() < 200 or len(smtp_server.messages) < 170, (
                "the kill should land in the middle"
            )
            daemon = start_daemon(config.path, tmp_path / "daemon.log")
            wait_for(
                lambda: stored() == 200 and outbox_counts(store) == {"delivered": 170},
                120,
                "every mail handled",
            )
            wait_for(
                lambda: len({m.message["Message-ID"] for m in smtp_server.messages}) == 170,
                60,
                "170 acknowledgements",
            )
            time.sleep(1)  # anything still to be sent would show now
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(20)

        with store.transaction() as s:
            outcomes = dict(
                s.execute(
                    select(IntakeItem.outcome, func.count()).group_by(IntakeItem.outcome)
                ).all()
            )
            tracking = {
                c.report["complainant"]["email"]: c.tracking_id
                for c in s.scalars(select(Complaint))
            }
        assert outcomes == {
            "accepted": 170,
            "ignored": 20,
            "quarantined": 10,
        }  # 200 outcomes, one each
        assert len(mailbox.uids()) == 200 and all(
            "\\Seen" in mailbox.flags(uid) for uid in mailbox.uids()
        )
        acks = defaultdict(set)
        for m in smtp_server.messages:
            [to] = m.rcpt_tos
            acks[to].add(m.message["Message-ID"])
            assert (
                f"[LAPOR #{tracking[to]}]" in m.message["Subject"]
                and tracking[to] in m.message.get_content()
            )
        assert set(acks) == {f"warga{i}@example.id" for i in range(170)}
        assert all(
            len(ids) == 1 for ids in acks.values()
        )  # one acknowledgement each (a resend is the same message)
        store.dispose()
