"""A real Kannel 1.4.5 SMS gateway on loopback for integration tests: bearerbox and smsbox
from one private kannel.conf, with Kannel's own `fakesmsc` playing the operator's SMSC.

Citizens' messages (MO) are typed into fakesmsc, which hands them to bearerbox exactly as an
operator's SMSC would; smsbox then calls the connector's `mo_url` (a `post-url`). Replies (MT)
go in through Kannel's sendsms interface and come out at fakesmsc, which prints them.

fakesmsc runs in its interactive mode (no messages on its command line, stdin kept open), so a
test can inject any number of messages at any time without restarting Kannel. Its quirks, which
this module hides (read in Kannel's test/fakesmsc.c and gw/smsc/smsc_fake.c, then checked here):
  - it reads stdin with fgets() into a 256-byte buffer, so a line is cut into 255-byte pieces;
    each piece goes to bearerbox at once, and bearerbox only ends a message at a newline. We
    write a long line as exact 255-byte pieces, one at a time, so the message arrives whole;
  - fgets() reads through stdio, whose buffer can swallow more than one line while select()
    only watches the file descriptor: a line can sit unseen until more input arrives. We wait
    for fakesmsc's "sent message N" after every piece and write an empty line (which fakesmsc
    skips) to push anything stuck;
  - it reads what bearerbox sends only when stdin wakes it or after a 1 s timeout, so
    `wait_for_mt` pokes it with empty lines;
  - its log (stderr, debug level) is its only output: "sent message N" and
    "Got message N: <LINE>" for each delivered MT, in the fake protocol
    `SENDER RECEIVER TYPE DATA` (types text, data, ucs-2, and udh with a UDH then `data`);
  - it crashes ("double free") when stdin closes and on SIGINT; we stop it with SIGTERM.

What fakesmsc cannot send: a GSM text containing a newline (the line ends there; send it as
UCS-2), and a UCS-2 part with a UDH (it has `udh-text` and `udh-data`, no `udh-ucs2`).

What Kannel 1.4.5 does with them (pinned by tests/test_kannel_harness.py):
  - MO: a POST to post-url with MO_ESCAPES as query parameters after the URL's own query
    (`time` is UTC, "YYYY-MM-DD HH:MM:SS", no zone, whatever TZ Kannel runs in). The body is the
    text; headers X-Kannel-From (only with send-sender), -To, -Time, -SMSC, -Coding, -Service.
    Messages sent close together may be posted in any order (smsbox posts from several
    threads). GSM text: coding 0, `text/plain; charset="UTF-8"`. UCS-2: coding 2, charset "UTF-16BE"
    (emoji intact); with mo-recode coding 0 and UTF-8. 8-bit: application/octet-stream, coding 1.
  - Multipart: a complete set is one post, parts joined, no UDH header, a repeated part dropped.
    With a part missing, after sms-combine-concatenated-mo-timeout (checked every few seconds)
    each part is posted alone with X-Kannel-UDH: the UDH URL-encoded ("%05%00%03%A7%03%01").
  - Retry: any answer but 200 or 202 (201, 204, 404, 500 ...) or a refused connection is tried
    again http-request-retry times, http-queue-delay seconds apart, with the same %I; then the
    message is dropped (logged as "Couldn't fetch <url>", secret included).
  - MT: sendsms answers 202 "0: Accepted for delivery"; long texts are split with an 8-bit
    concatenation UDH (153 characters, or 134 bytes of UCS-2, a part).
  - DLR: the fake SMSC reports success by itself: with dlr-mask 1|2|8 and a dlr-url, Kannel
    GETs the dlr-url with %d = 8 (SMSC accepted, %A "ACK/") then 1 (delivered). %I is a new
    id in each report, so the application's own id must be in the dlr-url.

This module does not mock anything and does not decide what a test asserts.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import requests
from servers import ManagedServer, free_port

BEARERBOX = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
SMSBOX = shutil.which("smsbox") or "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
HOST = "127.0.0.1"
SMSC_ID = "fake"
# The escapes smsbox fills in on the post-url (sender, receiver, time, Kannel's id, coding, SMSC).
MO_ESCAPES = "from=%p&to=%P&time=%t&id=%I&coding=%c&smsc=%i"
# fakesmsc's fgets() buffer is 256 bytes: it hands a line on in pieces of at most 255.
FAKESMSC_PIECE = 255
ACCEPTED = "0: Accepted for delivery"
# How long a delivered text waits for lines that continue it (fakesmsc prints them at once).
SETTLE_S = 0.1


class KannelError(RuntimeError):
    """Kannel or fakesmsc did not start, died, or did not take a message."""


class _PortClash(KannelError):
    """Someone took one of the free ports between our choice and Kannel's bind: pick again."""


# --- shared plumbing ------------------------------------------------------------------------


def _tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log, without the HTTP client chatter of our own status polling."""
    try:
        kept = [
            line
            for line in path.read_text(errors="replace").splitlines()
            if "DEBUG: HTTP:" not in line
        ]
        return "\n".join(kept[-lines:])
    except FileNotFoundError:
        return f"({path} does not exist)"


def _accepts(port: int, host: str = HOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _runs_in(pid: int, folder: Path) -> bool:
    """Whether `pid` is one of our programs (not a reused pid) with `folder` as its directory."""
    try:
        return os.readlink(f"/proc/{pid}/cwd") == str(folder) and Path(
            os.readlink(f"/proc/{pid}/exe")
        ).name in ("bearerbox", "smsbox", "fakesmsc")
    except OSError:
        return False


def concat_udh(ref: int, total: int, seq: int) -> bytes:
    """The UDH of part `seq` of `total` of a concatenated SMS (IE 0x00: 8-bit reference)."""
    if not (0 <= ref <= 255 and 1 <= total <= 255 and 1 <= seq <= 255):
        raise ValueError(f"concatenation IE out of range: ref={ref} total={total} seq={seq}")
    return bytes([0x05, 0x00, 0x03, ref, total, seq])


def concat_parts(text: str, ref: int, per_part: int = 153) -> list[tuple[bytes, str]]:
    """Split `text` as a phone does into (udh, text) parts of `per_part` characters."""
    chunks = [text[i : i + per_part] for i in range(0, len(text), per_part)] or [""]
    return [(concat_udh(ref, len(chunks), seq), chunk) for seq, chunk in enumerate(chunks, 1)]


def _url_bytes(data: bytes) -> bytes:
    """Percent-encoding that smsc_fake's octstr_url_decode() reverses; never a NUL or newline."""
    return urllib.parse.quote_from_bytes(data, safe="").encode("ascii")


def fakesmsc_line(
    sender: str, receiver: str, kind: str, data: str | bytes, udh: bytes | None = None
) -> bytes:
    """One MO message in fakesmsc's protocol, without its line end.

    kind "text": `data` (str) is sent as UTF-8 as is, coding 0 (`udh-text` with a UDH);
    kind "ucs2": `data` (str) goes as URL-encoded UTF-16BE, coding 2 (no UDH possible);
    kind "data": `data` (bytes) goes URL-encoded, coding 1 (`udh-data` with a UDH).
    """
    for name, value in (("sender", sender), ("receiver", receiver)):
        if not value or re.search(r"\s", value):
            raise ValueError(f"{name} must be one word, not {value!r}")
    if kind == "text":
        payload = data.encode() if isinstance(data, str) else data
        if b"\n" in payload or b"\0" in payload:
            raise ValueError("fakesmsc cannot send a text with a newline or NUL: send it as ucs2")
        head = b"udh-text %s " % _url_bytes(udh) if udh is not None else b"text "
    elif kind == "ucs2":
        if udh is not None:
            raise ValueError("fakesmsc has no UCS-2 type with a UDH (only udh-text and udh-data)")
        payload, head = _url_bytes(data.encode("utf-16-be")), b"ucs2 "
    elif kind == "data":
        payload = _url_bytes(data if isinstance(data, bytes) else data.encode())
        head = b"udh-data %s " % _url_bytes(udh) if udh is not None else b"data "
    else:
        raise ValueError(f"kind must be text, ucs2 or data, not {kind!r}")
    return f"{sender} {receiver} ".encode() + head + payload


def fakesmsc_pieces(line: bytes) -> list[bytes]:
    """`line` as the writes fakesmsc's fgets() takes one by one: 255-byte pieces, then the end.

    The last piece carries the newline; if it would be the newline alone, fakesmsc would skip it
    as an empty line, so it becomes CR LF (bearerbox strips the CR).
    """
    cut = len(line) - len(line) % FAKESMSC_PIECE if len(line) % FAKESMSC_PIECE else len(line)
    pieces = [line[i : i + FAKESMSC_PIECE] for i in range(0, cut, FAKESMSC_PIECE)]
    rest = line[cut:]
    pieces.append(rest + b"\n" if rest else b"\r\n")
    return pieces


# --- what fakesmsc prints ---------------------------------------------------------------------

MT_TYPES = {b"text", b"data", b"ucs-2", b"udh"}


@dataclass(frozen=True)
class MtMessage:
    """One message the operator (fakesmsc) got from Kannel for delivery to a phone.

    `kind` is fakesmsc's type: "text" (coding 0), "data" (coding 1), "ucs-2" (coding 2) or
    "udh" (a part with a UDH; fakesmsc does not say its coding, so `text` reads it as UTF-8
    and `decoded(ucs2=True)` as UTF-16BE). `data` is the payload as bytes; `line` is what
    fakesmsc printed.
    """

    sender: str
    receiver: str
    kind: str
    data: bytes
    udh: bytes | None = None
    line: bytes = b""

    def decoded(self, ucs2: bool = False) -> str:
        """`data` as text: UTF-16BE for ucs-2 (or when `ucs2` says so), else UTF-8."""
        codec = "utf-16-be" if ucs2 or self.kind == "ucs-2" else "utf-8"
        return self.data.decode(codec, errors="replace")

    @property
    def text(self) -> str:
        return self.decoded()

    @property
    def concat(self) -> tuple[int, int, int] | None:
        """(ref, total, seq) from an 8-bit concatenation IE in the UDH, if any."""
        udh = self.udh or b""
        i = 1
        while i + 1 < len(udh):
            iei, length = udh[i], udh[i + 1]
            if iei == 0x00 and length == 3 and i + 5 <= len(udh):
                return udh[i + 2], udh[i + 3], udh[i + 4]
            i += 2 + length
        return None


def parse_mt_line(line: bytes) -> MtMessage | None:
    """A line fakesmsc printed as `Got message N: <LINE>`; None if it is not a message line."""
    words = line.split(b" ", 3)
    if len(words) < 3 or words[2] not in MT_TYPES:
        return None
    sender, receiver, kind = words[0].decode(), words[1].decode(), words[2].decode()
    rest = words[3] if len(words) > 3 else b""
    if kind == "text":
        return MtMessage(sender, receiver, kind, rest, line=line)
    if kind in ("data", "ucs-2"):
        return MtMessage(
            sender,
            receiver,
            kind,
            urllib.parse.unquote_to_bytes(rest.replace(b"+", b" ")),
            line=line,
        )
    udh, _, data = rest.partition(b" data ")
    unquote = urllib.parse.unquote_to_bytes
    return MtMessage(
        sender,
        receiver,
        kind,
        unquote(data.replace(b"+", b" ")),
        udh=unquote(udh.replace(b"+", b" ")),
        line=line,
    )


def join_mt(messages: list[MtMessage], ucs2: bool = False) -> list[str]:
    """The texts a phone would show: concatenated parts joined in sequence order.

    Parts are grouped by (sender, receiver, ref); a group with a missing part is left out.
    Kannel's udh lines do not say the coding: pass ucs2=True for UCS-2 replies.
    """
    texts, groups = [], {}
    for message in messages:
        concat = message.concat
        if concat is None:
            texts.append(message.decoded(ucs2 and message.kind == "udh"))
            continue
        ref, total, seq = concat
        parts = groups.setdefault((message.sender, message.receiver, ref), {})
        parts[seq] = message.data
        if len(parts) == total:
            joined = b"".join(parts[i] for i in sorted(parts))
            texts.append(joined.decode("utf-16-be" if ucs2 else "utf-8", errors="replace"))
            del groups[(message.sender, message.receiver, ref)]
    return texts


# --- Kannel ---------------------------------------------------------------------------------

KANNEL_CONF = """\
# Written by tests/kannel.py: a private bearerbox + smsbox; nothing of /etc/kannel is read.
group = core
admin-port = {admin_port}
admin-interface = "{host}"
admin-password = "{admin_password}"
status-password = "{admin_password}"
admin-allow-ip = "{host}"
smsbox-port = {smsbox_port}
smsbox-interface = "{host}"
box-allow-ip = "{host}"
dlr-storage = internal
log-file = "{folder}/bearerbox.log"
log-level = 0
access-log = "{folder}/access.log"
# Parts of a multipart MO that never completes are posted one by one after this many seconds
# (bearerbox looks for them every few seconds, so allow a little more).
sms-combine-concatenated-mo = true
sms-combine-concatenated-mo-timeout = {concat_timeout_s}

# The operator: fakesmsc connects here.
group = smsc
smsc = fake
smsc-id = {smsc_id}
port = {smsc_port}
our-host = "{host}"
connect-allow-ip = "{host}"

group = smsbox
bearerbox-host = "{host}"
bearerbox-port = {smsbox_port}
sendsms-port = {sendsms_port}
sendsms-interface = "{host}"
log-file = "{folder}/smsbox.log"
log-level = 0
access-log = "{folder}/smsbox-access.log"
# A failed post-url call (any answer but 200/202, or no connection) is tried again this many times.
http-request-retry = {http_request_retry}
http-queue-delay = {retry_delay_s}
mo-recode = {mo_recode}

group = sendsms-user
username = "{sendsms_user}"
password = "{sendsms_password}"
max-messages = {max_mt_parts}
concatenation = true

group = sms-service
keyword = default
catch-all = true
max-messages = 0
send-sender = {send_sender}
post-url = "{post_url}"
"""


def _flag(value: bool) -> str:
    return "true" if value else "false"


class Kannel(ManagedServer):
    """A private bearerbox + smsbox + fakesmsc in `folder`, on free loopback ports.

    MO messages typed into fakesmsc are posted to `mo_url` with MO_ESCAPES appended as query
    parameters (after any query it already has). `http_request_retry` and `retry_delay_s`
    (whole seconds) become smsbox's http-request-retry and http-queue-delay; `mo_recode` lets
    smsbox turn UCS-2 into UTF-8 before posting; `concat_timeout_s` is how long bearerbox waits
    for the missing parts of a multipart MO. With no folder, a temporary one is made and
    removed when the context manager exits.
    """

    def __init__(
        self,
        folder: Path | str | None,
        mo_url: str,
        *,
        http_request_retry: int = 3,
        retry_delay_s: int = 1,
        send_sender: bool = True,
        mo_recode: bool = False,
        concat_timeout_s: int = 2,
        max_mt_parts: int = 10,
        host: str = HOST,
    ):
        if '"' in mo_url or "%" in mo_url:
            # Kannel would read a % in the URL as one of its escapes.
            raise ValueError(f"mo_url must not contain '%' or '\"': {mo_url!r}")
        self._own_folder = folder is None
        self.folder = Path(folder or tempfile.mkdtemp(prefix="lapor-kannel-")).resolve()
        self.host, self.mo_url = host, mo_url
        self.http_request_retry, self.retry_delay_s = int(http_request_retry), int(retry_delay_s)
        self.send_sender, self.mo_recode = send_sender, mo_recode
        self.concat_timeout_s, self.max_mt_parts = int(concat_timeout_s), int(max_mt_parts)
        self.admin_password = "kannel-admin"
        self.sendsms_user, self.sendsms_password = "lapor", "lapor-sendsms"
        self.admin_port = self.smsbox_port = self.sendsms_port = self.smsc_port = None
        self.config_path = self.folder / "kannel.conf"
        self.bearerbox_log = self.folder / "bearerbox.log"
        self.smsbox_log = self.folder / "smsbox.log"
        self.access_log = self.folder / "access.log"
        self.fakesmsc_log = self.folder / "fakesmsc.log"
        self._pids_path = self.folder / "kannel.pids"
        self._procs: dict[str, subprocess.Popen] = {}
        self._log_marks: dict[Path, int] = {}
        self._stopped: list[subprocess.Popen] = []
        self._fakesmsc: _Fakesmsc | None = None

    @property
    def post_url(self) -> str:
        return self.mo_url + ("&" if "?" in self.mo_url else "?") + MO_ESCAPES

    @property
    def sendsms_url(self) -> str:
        return f"http://{self.host}:{self.sendsms_port}/cgi-bin/sendsms"

    @property
    def status_url(self) -> str:
        return f"http://{self.host}:{self.admin_port}/status.txt?password={self.admin_password}"

    # lifecycle

    def start(self, timeout: float = 20) -> Kannel:
        """Start bearerbox, smsbox and fakesmsc; return when all three are connected.

        Raise KannelError with the tail of the logs if one of them dies or stays unready.
        """
        if self.running:
            return self
        self._prepare()
        for _ in range(3):
            self._pick_ports()
            self._write_config()
            try:
                self._launch(timeout)
                return self
            except KannelError as error:
                self.stop()
                if not isinstance(error, _PortClash):
                    raise
        raise KannelError("Kannel could not bind free ports three times in a row")

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM to fakesmsc, smsbox, bearerbox (in that order); wait for each."""
        if self._fakesmsc is not None:
            self._fakesmsc.close()
        for name in ("fakesmsc", "smsbox", "bearerbox"):
            proc = self._procs.pop(name, None)
            if proc is None:
                continue
            self._stopped.append(proc)
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        self._fakesmsc = None
        self._forget_pids()

    def _forget_pids(self) -> None:
        """Drop our children from kannel.pids (another instance may have started in this folder)."""
        ours = {str(proc.pid) for proc in self._stopped}
        try:
            left = [pid for pid in self._pids_path.read_text().split() if pid not in ours]
        except FileNotFoundError:
            return
        if left:
            self._pids_path.write_text("".join(f"{pid}\n" for pid in left))
        else:
            self._pids_path.unlink(missing_ok=True)

    @property
    def running(self) -> bool:
        return bool(self._procs) and all(p.poll() is None for p in self._procs.values())

    def _prepare(self) -> None:
        for program in (BEARERBOX, SMSBOX, FAKESMSC):
            if not Path(program).exists():
                raise KannelError(
                    f"{program} is missing; install the kannel and kannel-extras packages"
                )
        self.folder.mkdir(parents=True, exist_ok=True)
        self._end_stale_processes()
        # Each start gets fresh logs: readiness is read from them, and a test reading a log
        # must not see the previous run's lines. The previous ones stay as *.prev.
        for path in self.folder.glob("*.log"):
            path.replace(path.with_suffix(".log.prev"))

    def _end_stale_processes(self) -> None:
        """Boxes of this folder's config leaked by an earlier run (a crash) would hold its ports."""
        try:
            pids = [int(p) for p in self._pids_path.read_text().split()]
        except (FileNotFoundError, ValueError):
            pids = []
        stale = [pid for pid in pids if _runs_in(pid, self.folder)]
        for pid in stale:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + 10
        while any(_runs_in(pid, self.folder) for pid in stale) and time.monotonic() < deadline:
            time.sleep(0.05)
        self._pids_path.unlink(missing_ok=True)

    def _pick_ports(self) -> None:
        self.admin_port, self.smsbox_port, self.sendsms_port, self.smsc_port = (
            free_port(self.host) for _ in range(4)
        )

    def _write_config(self) -> None:
        self.config_path.write_text(
            KANNEL_CONF.format(
                folder=self.folder,
                host=self.host,
                admin_port=self.admin_port,
                smsbox_port=self.smsbox_port,
                sendsms_port=self.sendsms_port,
                smsc_port=self.smsc_port,
                smsc_id=SMSC_ID,
                admin_password=self.admin_password,
                sendsms_user=self.sendsms_user,
                sendsms_password=self.sendsms_password,
                http_request_retry=self.http_request_retry,
                retry_delay_s=self.retry_delay_s,
                mo_recode=_flag(self.mo_recode),
                send_sender=_flag(self.send_sender),
                concat_timeout_s=self.concat_timeout_s,
                max_mt_parts=self.max_mt_parts,
                post_url=self.post_url,
            )
        )

    def _spawn(self, name: str, argv: list[str], **streams) -> subprocess.Popen:
        """Start `argv` as our child (PID 1 here reaps nothing); unless `streams` say otherwise,
        its output goes to NAME.stderr."""
        if "stderr" in streams:
            proc = subprocess.Popen(argv, cwd=self.folder, **streams)
        else:
            with (self.folder / f"{name}.stderr").open("wb") as out:
                proc = subprocess.Popen(
                    argv, cwd=self.folder, stdin=subprocess.DEVNULL, stdout=out, stderr=out
                )
        self._procs[name] = proc
        with self._pids_path.open("a") as pids:
            pids.write(f"{proc.pid}\n")
        return proc

    def _launch(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        self._log_marks = {
            path: path.stat().st_size if path.exists() else 0 for path in self._box_logs()
        }
        # -v 1: the boxes' stderr gets info and up; their log files keep the debug lines.
        self._spawn("bearerbox", [BEARERBOX, "-v", "1", str(self.config_path)])
        # Only the admin port is probed: a probe of the box or SMSC port counts as a client.
        self._wait(
            "bearerbox",
            deadline,
            lambda: _accepts(self.admin_port) and bool(self._status_or_empty()),
        )
        self._spawn("smsbox", [SMSBOX, "-v", "1", str(self.config_path)])
        self._wait(
            "smsbox", deadline, lambda: _accepts(self.sendsms_port) and self._smsbox_connected()
        )
        proc = self._spawn(
            "fakesmsc",
            [FAKESMSC, "-H", self.host, "-r", str(self.smsc_port), "-i", "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._fakesmsc = _Fakesmsc(proc, self.fakesmsc_log)
        self._wait("fakesmsc", deadline, self._smsc_online)

    def _wait(self, what: str, deadline: float, ready) -> None:
        while time.monotonic() < deadline:
            dead = [name for name, proc in self._procs.items() if proc.poll() is not None]
            if self._port_clash():
                raise _PortClash(f"a port was taken while starting {what}\n{self.logs_tail()}")
            if dead:
                raise KannelError(
                    f"{', '.join(dead)} exited while starting {what}\n{self.logs_tail()}"
                )
            if ready():
                return
            time.sleep(0.1)
        raise KannelError(f"{what} was not ready in time\n{self.logs_tail()}")

    def _box_logs(self) -> list[Path]:
        return [
            self.bearerbox_log,
            self.smsbox_log,
            self.folder / "bearerbox.stderr",
            self.folder / "smsbox.stderr",
        ]

    def _port_clash(self) -> bool:
        """A box could not bind (it may keep running without that port, so look in its logs)."""
        for path in self._box_logs():
            try:
                with path.open("rb") as log:
                    log.seek(self._log_marks.get(path, 0))
                    new = log.read()
            except FileNotFoundError:
                continue
            if b"Address already in use" in new or b"could not create listening socket" in new:
                return True
        return False

    def status(self, timeout: float = 5) -> str:
        """bearerbox's admin status page (text)."""
        return requests.get(self.status_url, timeout=timeout).text

    def _status_or_empty(self) -> str:
        try:
            return self.status(timeout=1)
        except requests.RequestException:
            return ""

    def _smsbox_connected(self) -> bool:
        return re.search(r"smsbox:.*\(on-line", self._status_or_empty()) is not None

    def _smsc_online(self) -> bool:
        pattern = rf"{SMSC_ID}\[{SMSC_ID}\]\s+FAKE:{self.smsc_port} \(online"
        return re.search(pattern, self._status_or_empty()) is not None

    def logs_tail(self, lines: int = 30) -> str:
        """The end of every log in the folder, for error messages."""
        paths = [
            self.bearerbox_log,
            self.smsbox_log,
            self.fakesmsc_log,
            *sorted(self.folder.glob("*.stderr")),
        ]
        return "\n".join(f"--- {path}\n{_tail(path, lines)}" for path in paths if path.exists())

    # MO: citizen -> connector

    def send_mo(
        self,
        sender: str,
        text: str | bytes,
        *,
        receiver: str = "1708",
        kind: str = "text",
        udh: bytes | None = None,
        count: int = 1,
    ) -> None:
        """Have the operator deliver an SMS from `sender` to `receiver`, `count` times.

        kind "text" (coding 0; the text reaches the application as UTF-8), "ucs2" (coding 2)
        or "data" (8-bit, coding 1); `udh` makes it one part of a multipart message (not with
        ucs2). Returns when fakesmsc has handed every copy to bearerbox. Raise ValueError for
        what fakesmsc cannot send, KannelError if fakesmsc does not take it.
        """
        line = fakesmsc_line(sender, receiver, kind, text, udh)
        for _ in range(count):
            self._operator().send_line(line)

    def send_ucs2(self, sender: str, text: str, *, receiver: str = "1708") -> None:
        """An SMS in UCS-2 (coding 2), as phones send emoji and non-GSM characters."""
        self.send_mo(sender, text, receiver=receiver, kind="ucs2")

    def send_parts(
        self,
        sender: str,
        parts: list[tuple[bytes, str]],
        *,
        receiver: str = "1708",
        kind: str = "text",
    ) -> None:
        """Deliver the (udh, text) parts of a multipart SMS in the order given (any order,
        repeated, or with one left out); see concat_parts and concat_udh."""
        for udh, text in parts:
            self.send_mo(sender, text, receiver=receiver, kind=kind, udh=udh)

    def _operator(self) -> _Fakesmsc:
        if self._fakesmsc is None or not self.running:
            raise KannelError(f"Kannel is not running\n{self.logs_tail()}")
        return self._fakesmsc

    # MT: connector -> citizen

    def sendsms(self, to: str, text: str, from_: str = "1708", **params) -> requests.Response:
        """GET Kannel's sendsms as an application does; `dlr_mask=` etc. become `dlr-mask=`.

        The answer's text is "0: Accepted for delivery" (status 202) when Kannel took it.
        """
        query = {
            "username": self.sendsms_user,
            "password": self.sendsms_password,
            "to": to,
            "from": from_,
            "text": text,
        }
        query.update({key.replace("_", "-"): value for key, value in params.items()})
        return requests.get(self.sendsms_url, params=query, timeout=10)

    def mt_messages(self) -> list[MtMessage]:
        """Every message fakesmsc received from Kannel so far, in order."""
        return self._operator().mt_messages()

    def wait_for_mt(self, count: int, timeout: float = 10) -> list[MtMessage]:
        """Block until fakesmsc has printed at least `count` MT messages; return them all."""
        return self._operator().wait_for_mt(count, timeout)

    def clear_mt(self) -> None:
        self._operator().clear_mt()


class _Fakesmsc:
    """The operator's side: writes MO lines to fakesmsc's stdin, reads its log from stderr."""

    def __init__(self, proc: subprocess.Popen, log_path: Path):
        self.proc, self.log_path = proc, log_path
        self._changed = threading.Condition()
        self._line_lock = threading.Lock()  # one MO line at a time, all its pieces together
        self._io_lock = threading.Lock()
        self._sent = 0
        self._mt: list[MtMessage] = []
        self._pending: tuple[MtMessage, float] | None = None
        self._reader = threading.Thread(target=self._read_log, name="fakesmsc-log", daemon=True)
        self._reader.start()

    def close(self) -> None:
        # Closing stdin makes fakesmsc crash (a double free): the caller sends SIGTERM instead.
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self._reader.join(5)
        for stream in (self.proc.stdin, self.proc.stderr):
            try:
                stream.close()
            except OSError:
                pass

    def _read_log(self) -> None:
        with self.log_path.open("ab") as log:
            for raw in iter(self.proc.stderr.readline, b""):
                log.write(raw)
                log.flush()
                self._take(raw.rstrip(b"\n"))
        with self._changed:
            self._changed.notify_all()

    def _take(self, entry: bytes) -> None:
        if match := re.search(rb"fakesmsc: sent message (\d+)$", entry):
            with self._changed:
                self._sent = int(match.group(1))
                self._changed.notify_all()
        elif match := re.search(rb"Got message \d+: <(.*)>$", entry):
            self._take_mt(match.group(1))

    def _take_mt(self, line: bytes) -> None:
        """Kannel writes a text with a newline as is, so fakesmsc prints its rest as lines of
        their own: a text stays pending until the next line or SETTLE_S have gone by."""
        message = parse_mt_line(line)
        with self._changed:
            pending = self._pending
            if message is None and pending is not None:
                self._pending = (
                    MtMessage(
                        pending[0].sender,
                        pending[0].receiver,
                        "text",
                        pending[0].data + b"\n" + line,
                        line=pending[0].line + b"\n" + line,
                    ),
                    time.monotonic(),
                )
                return
            if message is None:
                return
            self._settle(force=True)
            if message.kind == "text":
                self._pending = (message, time.monotonic())
            else:
                self._mt.append(message)
            self._changed.notify_all()

    def _settle(self, force: bool = False) -> None:
        """Move a pending text to the list once nothing more can belong to it (lock held)."""
        if self._pending is not None and (force or time.monotonic() - self._pending[1] >= SETTLE_S):
            self._mt.append(self._pending[0])
            self._pending = None

    def send_line(self, line: bytes, timeout: float = 10) -> None:
        with self._line_lock:
            for piece in fakesmsc_pieces(line):
                with self._changed:
                    target = self._sent + 1
                self._write(piece)
                self._await(
                    lambda target=target: self._sent >= target,
                    timeout,
                    f"fakesmsc did not send {line[:80]!r}",
                )

    def _write(self, data: bytes) -> None:
        if self.proc.poll() is not None:
            raise KannelError(f"fakesmsc exited ({self.proc.returncode})\n{_tail(self.log_path)}")
        with self._io_lock:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def _await(self, done, timeout: float, what: str) -> None:
        """Wait for `done`, pushing fakesmsc with empty lines (it skips them) every 0.2 s."""
        deadline = time.monotonic() + timeout
        while True:
            with self._changed:
                if self._changed.wait_for(done, 0.2):
                    return
            if time.monotonic() > deadline:
                raise KannelError(f"{what} within {timeout}s\n{_tail(self.log_path)}")
            self._write(b"\n")

    def mt_messages(self) -> list[MtMessage]:
        with self._changed:
            self._settle()
            return list(self._mt)

    def wait_for_mt(self, count: int, timeout: float) -> list[MtMessage]:
        # No line lock: an empty line between two pieces of a long MO line is skipped by
        # fakesmsc and never reaches bearerbox, so a poke cannot break a message.
        def arrived():
            self._settle()
            return len(self._mt) >= count

        try:
            self._await(arrived, timeout, f"fakesmsc did not print {count} MT")
        except KannelError as error:
            raise TimeoutError(
                f"{len(self._mt)} of {count} MT messages arrived in {timeout}s"
            ) from error
        return self.mt_messages()

    def clear_mt(self) -> None:
        with self._changed:
            self._mt.clear()
            self._pending = None


# --- a recorder for post-url and dlr-url calls ------------------------------------------------


@dataclass
class RecordedRequest:
    """One HTTP request as Kannel sent it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int  # what the recorder answered
    at: float = field(default_factory=time.monotonic)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def charset(self) -> str | None:
        match = re.search(r'charset="?([^";]+)"?', self.header("content-type") or "")
        return match.group(1) if match else None

    @property
    def text(self) -> str:
        """The body decoded with the charset Kannel declared (UTF-8 when it declared none)."""
        return self.body.decode(self.charset or "utf-8")


class MoRecorder:
    """A small HTTP server on a free loopback port that records every request it gets.

    It answers `status` (200 unless set; 202 also counts as success for Kannel);
    `fail_next(n, status)` answers the next n requests with an error; `stop()` closes the
    port so Kannel gets "connection refused", and `start()` opens the same port again.
    Connections are closed after each answer (HTTP/1.0), so a stopped recorder takes nothing.
    """

    def __init__(self, host: str = HOST, port: int | None = None, status: int = 200):
        self.host, self.port, self.status = host, port, status
        self.requests: list[RecordedRequest] = []
        self._failures: list[int] = []
        self._changed = threading.Condition()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str = "/sms/kannel") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def start(self) -> MoRecorder:
        if self._server is not None:
            return self
        self._server = http.server.ThreadingHTTPServer((self.host, self.port or 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="mo-recorder", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._changed:
            self._failures.extend([status] * count)

    def wait_for(
        self, count: int, timeout: float = 10, path: str | None = None
    ) -> list[RecordedRequest]:
        """Block until `count` requests (to `path`, if given) came; return those. Raise TimeoutError."""

        def matching():
            return [r for r in self.requests if path is None or r.path == path]

        with self._changed:
            if not self._changed.wait_for(lambda: len(matching()) >= count, timeout):
                raise TimeoutError(f"{len(matching())} of {count} requests arrived in {timeout}s")
            return matching()

    def _record(self, handler: http.server.BaseHTTPRequestHandler) -> int:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        split = urllib.parse.urlsplit(handler.path)
        with self._changed:
            status = self._failures.pop(0) if self._failures else self.status
            self.requests.append(
                RecordedRequest(
                    method=handler.command,
                    path=split.path,
                    query=dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True)),
                    headers={k.lower(): v for k, v in handler.headers.items()},
                    body=body,
                    status=status,
                )
            )
            self._changed.notify_all()
        return status

    def _handler(self):
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def _answer(self):
                status = recorder._record(self)
                payload = b"" if status in (200, 202) else b"error\n"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args):
                pass

        return Handler
