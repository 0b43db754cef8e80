"""Replies as common mail clients write them, header shapes and all, for tests.

Each function returns the raw bytes (CRLF) of a citizen's reply in one client's shape:
Gmail (multipart/alternative, "Pada … menulis:" wrapped over two lines, References on one
line), Outlook (Message-ID folded onto its own line, Thread-Topic/Thread-Index, "RE:" or the
localised "AW:"/"Balas:" prefix, the "____" rule and From/Sent block in the UI's language,
quoted-printable), Thunderbird (a long References chain folded line by line, format=flowed,
"On … wrote:") and Apple Mail ("Message-Id" spelt so, tab-folded Content-Type, References
folded one id per line, the attribution line itself quoted). Shapes follow messages these
clients send; the people and addresses are fictional.

`thread` is the References chain, oldest first, ending with the message replied to (In-Reply-To).
"""

from __future__ import annotations

import quopri

LAPOR = '"LAPOR! Kalimantan Selatan" <pengaduan@kalselprov.go.id>'
BUDI = "Budi Santoso <budi.santoso@example.id>"


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def _ids(thread: list[str]) -> list[str]:
    return [f"<{i}>" for i in thread]


def gmail(
    *, subject: str, message_id: str, thread: list[str], text: str, quoted: str, sender: str = BUDI
) -> bytes:
    boundary = "0000000000004f1a2b05f3c1d2e3"
    html_text = text.replace("\n", "<br>")
    return _crlf(f"""MIME-Version: 1.0
References: {" ".join(_ids(thread))}
In-Reply-To: <{thread[-1]}>
From: {sender}
Date: Tue, 4 Mar 2025 09:02:11 +0800
Message-ID: <{message_id}>
Subject: {subject}
To: {LAPOR}
Content-Type: multipart/alternative; boundary="{boundary}"

--{boundary}
Content-Type: text/plain; charset="UTF-8"

{text}

Pada Sel, 4 Mar 2025 pukul 08.15 LAPOR! Kalimantan Selatan <
pengaduan@kalselprov.go.id> menulis:

> {quoted}
>

--{boundary}
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">{html_text}</div><br><div class=3D"gmail_quote"><div dir=3D=
"ltr" class=3D"gmail_attr">Pada Sel, 4 Mar 2025 pukul 08.15 LAPOR! Kalimantan S=
elatan &lt;<a href=3D"mailto:pengaduan@kalselprov.go.id">pengaduan@kalselprov.g=
o.id</a>&gt; menulis:<br></div><blockquote class=3D"gmail_quote">{quoted}</blockq=
uote></div>

--{boundary}--
""")


_OUTLOOK_BLOCK = {  # the UI language's reply prefix and quote block
    "RE": ("From", "Sent", "To", "Subject", "Tuesday, March 4, 2025 8:15 AM"),
    "AW": ("Von", "Gesendet", "An", "Betreff", "Dienstag, 4. M\u00e4rz 2025 08:15"),
    "Balas": ("Dari", "Dikirim", "Kepada", "Subjek", "Selasa, 04 Maret 2025 08.15"),
}


def outlook(
    *,
    subject: str,
    message_id: str,
    thread: list[str],
    text: str,
    quoted: str,
    sender: str = BUDI,
    prefix: str = "RE",
    original_subject: str = "",
) -> bytes:
    frm, sent, to, subj, when = _OUTLOOK_BLOCK[prefix]
    body = quopri.encodestring(
        f"""{text}

________________________________
{frm}: LAPOR! Kalimantan Selatan <pengaduan@kalselprov.go.id>
{sent}: {when}
{to}: Budi Santoso <budi.santoso@example.id>
{subj}: {original_subject}

{quoted}
""".encode("utf-8")
    ).decode("ascii")
    references = "\n ".join(_ids(thread))
    return _crlf(f"""From: {sender}
To: {LAPOR}
Subject: {subject}
Thread-Topic: {original_subject}
Thread-Index: AQHbjK1uYxBq2m3nQ0Ke9A7lq7mZf7Nk2W8AgAABzYA=
Date: Tue, 4 Mar 2025 01:02:11 +0000
Message-ID:
 <{message_id}>
References: {references}
In-Reply-To: <{thread[-1]}>
Accept-Language: id-ID, en-US
Content-Language: id-ID
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
x-ms-exchange-messagesentrepresentingtype: 1
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable
MIME-Version: 1.0

{body}""")


def thunderbird(
    *, subject: str, message_id: str, thread: list[str], text: str, quoted: str, sender: str = BUDI
) -> bytes:
    ids = _ids(thread)
    references = "\n ".join(
        " ".join(ids[i : i + 2]) for i in range(0, len(ids), 2)
    )  # two ids a line, as it folds them
    return _crlf(f"""Message-ID: <{message_id}>
Date: Tue, 4 Mar 2025 09:02:11 +0800
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Subject: {subject}
Content-Language: id
To: {LAPOR}
References: {references}
From: {sender}
In-Reply-To: <{thread[-1]}>
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

{text}

On 04/03/2025 08.15, LAPOR! Kalimantan Selatan wrote:
> {quoted}
""")


def apple_mail(
    *, subject: str, message_id: str, thread: list[str], text: str, quoted: str, sender: str = BUDI
) -> bytes:
    references = "\n ".join(_ids(thread))
    return _crlf(f"""Content-Type: text/plain;
\tcharset=utf-8
Content-Transfer-Encoding: 7bit
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
Subject: {subject}
From: {sender}
In-Reply-To: <{thread[-1]}>
Date: Tue, 4 Mar 2025 09:02:11 +0800
Cc: 
Message-Id: <{message_id}>
References: {references}
To: {LAPOR}
X-Mailer: Apple Mail (2.3774.600.62)

{text}

> On 4 Mar 2025, at 08.15, LAPOR! Kalimantan Selatan <pengaduan@kalselprov.go.id> wrote:
> 
> {quoted}
""")


def fresh(*, subject: str, message_id: str, text: str, sender: str = BUDI) -> bytes:
    """A new message (no thread headers), as any client writes one."""
    return _crlf(f"""From: {sender}
To: {LAPOR}
Subject: {subject}
Date: Tue, 4 Mar 2025 10:00:00 +0800
Message-ID: <{message_id}>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8

{text}
""")
