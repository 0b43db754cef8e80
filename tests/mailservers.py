"""Real mail servers on loopback for integration tests: a private Dovecot IMAP
server and an aiosmtpd SMTP server that captures what it accepts.

Dovecot runs as its own instance from a config written into a folder (nothing of
the system's /etc/dovecot is read, no system instance is touched). Mail goes in
and is inspected over IMAP with the stdlib, the way a mail client would; only
UIDVALIDITY resets use `doveadm`, because no IMAP command can do that.

This module does not mock anything and does not decide what a test asserts.
"""

from __future__ import annotations

import base64
import datetime
import email.policy
import grp
import imaplib
import ipaddress
import os
import re
import secrets
import shutil
import signal
import smtplib
import socket
import ssl
import stat
import subprocess
import tempfile
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from servers import ManagedServer, free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
HOST = "127.0.0.1"
# Dovecot refuses to run mail processes as root; this system user ships with it.
MAIL_USER = "dovenull"


class MailServerError(RuntimeError):
    """A test mail server did not start, or refused a helper's command."""


# --- shared plumbing ------------------------------------------------------------------------


def make_certificate(folder: Path, names=("localhost",), ips=(HOST,)) -> tuple[Path, Path]:
    """Write a self-signed certificate and its key (PEM) into `folder`; return their paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    sans = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=True,
                key_cert_sign=True,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def client_context(cert_path: Path) -> ssl.SSLContext:
    """A client SSLContext that trusts only `cert_path` and checks host names."""
    return ssl.create_default_context(cafile=str(cert_path))


def imap_mailbox_name(name: str) -> str:
    """`name` as an IMAP quoted string in modified UTF-7 (RFC 3501 5.1.3)."""
    out, pending = [], []

    def flush():
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode()
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return '"' + "".join(out).replace("\\", "\\\\").replace('"', '\\"') + '"'


def imap_mailbox_decode(quoted: str) -> str:
    """The inverse of imap_mailbox_name: a LIST answer's (quoted or atom) name as text."""
    if quoted.startswith('"'):
        quoted = re.sub(r"\\(.)", r"\1", quoted[1:-1])

    def decode(match):
        chunk = match.group(1).replace(",", "/")
        return (
            base64.b64decode(chunk + "=" * (-len(chunk) % 4)).decode("utf-16-be") if chunk else "&"
        )

    return re.sub(r"&([^-]*)-", decode, quoted)


def _ok(response, what: str):
    typ, data = response
    if typ != "OK":
        raise MailServerError(f"{what}: {typ} {data!r}")
    return data


def _make_traversable(folder: Path) -> None:
    """Give every folder from `folder` up to / the o+x bit Dovecot's unprivileged processes need."""
    for path in [folder, *folder.parents]:
        mode = path.stat().st_mode
        if not mode & stat.S_IXOTH:
            path.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"({path} does not exist)"


# --- Dovecot --------------------------------------------------------------------------------

DOVECOT_CONF = """\
# Written by tests/mailservers.py: a private instance, nothing read from /etc/dovecot.
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
instance_name = lapor-test-{port}
protocols = imap
listen = {host}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
# Dovecot waits 2 s before answering a failed login; tests of bad passwords need not.
auth_failure_delay = 0
first_valid_uid = 1
mail_location = maildir:{folder}/mail/%u
mail_max_userip_connections = 50

namespace inbox {{
  inbox = yes
  separator = /
}}

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/users/%u
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={folder}/home/%u
}}

# Anvil would delay every login from 127.0.0.1 (up to 15 s) after a failed one: one test of
# a bad password would slow all later tests down.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}

service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {ssl_port}
    ssl = yes
  }}
}}
"""


class Dovecot(ManagedServer):
    """A private Dovecot 2.3 IMAP server in `folder`, on two free loopback ports.

    `imap_port` is plain IMAP with STARTTLS offered (and plaintext login allowed);
    `imaps_port` is implicit TLS. Both use a self-signed certificate at `cert_path`;
    `ssl_context()` trusts it. With no folder, a temporary one is made and removed
    when the context manager exits.
    """

    def __init__(self, folder: Path | str | None = None, host: str = HOST):
        self._own_folder = folder is None
        self.folder = Path(folder or tempfile.mkdtemp(prefix="lapor-dovecot-")).resolve()
        self.host = host
        self.imap_port: int | None = None
        self.imaps_port: int | None = None
        self.config_path = self.folder / "dovecot.conf"
        self.log_path = self.folder / "dovecot.log"
        self.users_dir = self.folder / "users"
        self.pid_path = self.folder / "run" / "master.pid"
        self.cert_path = self.folder / "tls" / "cert.pem"
        self.key_path = self.folder / "tls" / "key.pem"
        self.passwords: dict[str, str] = {}
        self._proc: subprocess.Popen | None = None

    # lifecycle

    def start(self, timeout: float = 15) -> Dovecot:
        """Start Dovecot; return when it greets on the IMAP port. Raise MailServerError with its log."""
        if self.running:
            return self
        self._prepare()
        for _ in range(3):
            if self.imap_port is None:
                self.imap_port, self.imaps_port = free_port(self.host), free_port(self.host)
            self._remove_stale_pid()
            self._write_config()
            try:
                self._launch(timeout)
                return self
            except MailServerError as error:
                if "Address already in use" not in str(error):
                    raise
                self.imap_port = self.imaps_port = None  # someone took a port: pick new ones
        raise MailServerError("Dovecot could not bind free ports three times in a row")

    def stop(self, timeout: float = 10) -> None:
        """Send SIGTERM to the master process and wait for it (it stops its children first)."""
        if self._proc is None:
            return
        try:
            # With -F the master is our child: its pid is the one Dovecot writes to master.pid.
            self._proc.send_signal(signal.SIGTERM)
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout)
        finally:
            self._proc = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def ssl_context(self) -> ssl.SSLContext:
        return client_context(self.cert_path)

    def _prepare(self) -> None:
        if not Path(DOVECOT).exists():
            raise MailServerError(
                f"Dovecot is not installed ({DOVECOT}); install the dovecot-imapd package"
            )
        for name in ("mail", "home"):
            (self.folder / name).mkdir(parents=True, exist_ok=True)
            shutil.chown(self.folder / name, MAIL_USER, MAIL_USER)
        if not self.cert_path.exists():
            make_certificate(self.cert_path.parent)
        self.users_dir.mkdir(exist_ok=True)
        _readable_by_auth(self.users_dir, 0o750)
        _make_traversable(self.folder)

    def _write_config(self) -> None:
        self.config_path.write_text(
            DOVECOT_CONF.format(
                folder=self.folder,
                host=self.host,
                port=self.imap_port,
                ssl_port=self.imaps_port,
                cert=self.cert_path,
                key=self.key_path,
                mail_user=MAIL_USER,
            )
        )

    def _launch(self, timeout: float) -> None:
        err_path = self.folder / "dovecot.stderr"
        with err_path.open("wb") as err:
            # -F keeps the master in the foreground as our child, so stop() can wait for it.
            self._proc = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            if self._greets():
                return
            time.sleep(0.05)
        self.stop()
        raise MailServerError(
            f"Dovecot did not start on {self.host}:{self.imap_port}\n--- {err_path}\n{_tail(err_path)}"
            f"\n--- {self.log_path}\n{_tail(self.log_path)}"
        )

    def _greets(self) -> bool:
        try:
            with socket.create_connection((self.host, self.imap_port), timeout=0.5) as sock:
                return sock.recv(100).startswith(b"* OK")
        except OSError:
            return False

    def _master_pid(self) -> int | None:
        try:
            return int(self.pid_path.read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None

    def _remove_stale_pid(self) -> None:
        """A master.pid left by a crash (or naming a pid now reused) makes Dovecot refuse to start."""
        pid = self._master_pid()
        if pid is not None and str(self.config_path) in _cmdline(pid):
            os.kill(pid, signal.SIGTERM)  # this folder's own instance, leaked by an earlier run
            deadline = time.monotonic() + 10
            while _cmdline(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        self.pid_path.unlink(missing_ok=True)

    # users and mail

    def add_user(self, name: str | None = None, password: str | None = None) -> tuple[str, str]:
        """Add a user that can log in at once, running or not; return (user, password).

        Each user has a passwd-file of its own (users/NAME): Dovecot re-reads a changed
        passwd-file at most once a second, so a line appended to one shared file is
        refused as "unknown user" when a login came in earlier in the same second.
        """
        name = name or f"pelapor-{secrets.token_hex(4)}"
        password = password or secrets.token_urlsafe(12)
        if not re.fullmatch(r"[A-Za-z0-9_@+-][A-Za-z0-9._@+-]*", name) or re.search(
            r"[:\s]", password
        ):
            raise ValueError(f"unusable user name or password for {name!r}")
        if name in self.passwords:
            raise ValueError(f"user {name!r} exists")
        path = self.users_dir / name
        draft = path.with_name(f".{name}.new")  # renamed into place: auth never reads half a line
        draft.write_text(f"{name}:{{PLAIN}}{password}::::::\n")
        _readable_by_auth(draft, 0o640)
        draft.rename(path)
        self.passwords[name] = password
        return name, password

    def connect(
        self, user: str, security: str = "plain", password: str | None = None
    ) -> imaplib.IMAP4:
        """A logged-in imaplib client; security is "plain", "starttls" or "ssl"."""
        if security == "ssl":
            client = imaplib.IMAP4_SSL(
                self.host, self.imaps_port, ssl_context=self.ssl_context(), timeout=10
            )
        elif security in ("plain", "starttls"):
            client = imaplib.IMAP4(self.host, self.imap_port, timeout=10)
            if security == "starttls":
                _ok(client.starttls(self.ssl_context()), "STARTTLS")
        else:
            raise ValueError(f"security must be plain, starttls or ssl, not {security!r}")
        client.login(user, password if password is not None else self.passwords[user])
        return client

    @contextmanager
    def session(self, user: str, folder: str | None = None, readonly: bool = True):
        """A plain-port IMAP session for `user`, with `folder` selected if given."""
        client = self.connect(user)
        try:
            if folder is not None:
                _ok(client.select(imap_mailbox_name(folder), readonly=readonly), f"SELECT {folder}")
            yield client
        finally:
            client.logout()

    def append(self, user: str, folder: str, raw: bytes, flags=()) -> int:
        """APPEND `raw` (line endings become CRLF) to `folder`; return its UID from APPENDUID."""
        with self.session(user) as client:
            flag_list = "(" + " ".join(flags) + ")" if flags else None
            data = _ok(
                client.append(imap_mailbox_name(folder), flag_list, None, raw), f"APPEND {folder}"
            )
        match = re.search(rb"\[APPENDUID (\d+) (\d+)\]", data[0] or b"")
        if not match:
            raise MailServerError(f"APPEND gave no APPENDUID: {data!r}")
        return int(match.group(2))

    def create_folder(self, user: str, folder: str) -> None:
        with self.session(user) as client:
            _ok(client.create(imap_mailbox_name(folder)), f"CREATE {folder}")
            _ok(client.subscribe(imap_mailbox_name(folder)), f"SUBSCRIBE {folder}")

    def folders(self, user: str) -> set[str]:
        """The names of `user`'s folders, decoded from modified UTF-7."""
        with self.session(user) as client:
            data = _ok(client.list(), "LIST")
        # Each line is `(flags) "separator" name`; the name is an atom or a quoted string.
        return {
            imap_mailbox_decode(re.match(r'\(.*?\) (?:"[^"]*"|NIL) (.+)$', line.decode()).group(1))
            for line in data
            if isinstance(line, bytes)
        }

    def uids(self, user: str, folder: str, criteria: str = "ALL") -> list[int]:
        with self.session(user, folder) as client:
            data = _ok(client.uid("SEARCH", criteria), f"UID SEARCH {criteria}")
        return [int(uid) for uid in data[0].split()]

    def flags(self, user: str, folder: str, uid: int) -> set[str]:
        """The message's flags, without \\Recent (a per-session flag that depends on who looked first)."""
        with self.session(user, folder) as client:
            data = _ok(client.uid("FETCH", str(uid), "(FLAGS)"), f"UID FETCH {uid}")
        if not data or data[0] is None:
            raise MailServerError(f"no message with UID {uid} in {folder}")
        return {f.decode() for f in imaplib.ParseFlags(data[0])} - {"\\Recent"}

    def _status(self, user: str, folder: str, item: str) -> int:
        with self.session(user) as client:
            data = _ok(client.status(imap_mailbox_name(folder), f"({item})"), f"STATUS {folder}")
        return int(re.search(rb"%s (\d+)" % item.encode(), data[0]).group(1))

    def uidvalidity(self, user: str, folder: str) -> int:
        return self._status(user, folder, "UIDVALIDITY")

    def message_count(self, user: str, folder: str) -> int:
        return self._status(user, folder, "MESSAGES")

    def reset_uidvalidity(self, user: str, folder: str, value: int | None = None) -> int:
        """Give `folder` a new UIDVALIDITY, as a server rebuild does; return it.

        Uses `doveadm mailbox update --uid-validity`: the messages stay, with their UIDs
        (a client must still treat every UID it remembered as void).
        """
        value = value or self.uidvalidity(user, folder) + 1
        result = subprocess.run(
            [
                DOVEADM,
                "-c",
                str(self.config_path),
                "mailbox",
                "update",
                "--uid-validity",
                str(value),
                "-u",
                user,
                folder,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0:
            raise MailServerError(f"doveadm mailbox update failed: {result.stderr.strip()}")
        return value


def _readable_by_auth(path: Path, mode: int) -> None:
    """Dovecot's auth process runs as the `dovecot` user and reads the passwd-files itself."""
    try:
        shutil.chown(path, group=grp.getgrnam("dovecot").gr_name)
        path.chmod(mode)
    except KeyError:  # no such group: let everyone read
        path.chmod(mode | (0o005 if path.is_dir() else 0o004))


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


@dataclass
class Mailbox:
    """One user's mailbox on a running Dovecot (what the `mailbox` fixture gives a test)."""

    dovecot: Dovecot
    user: str
    password: str

    @property
    def host(self) -> str:
        return self.dovecot.host

    @property
    def imap_port(self) -> int:
        return self.dovecot.imap_port

    @property
    def imaps_port(self) -> int:
        return self.dovecot.imaps_port

    @property
    def cert_path(self) -> Path:
        return self.dovecot.cert_path

    def append(self, raw: bytes, folder: str = "INBOX", flags=()) -> int:
        return self.dovecot.append(self.user, folder, raw, flags)

    def uids(self, folder: str = "INBOX", criteria: str = "ALL") -> list[int]:
        return self.dovecot.uids(self.user, folder, criteria)

    def flags(self, uid: int, folder: str = "INBOX") -> set[str]:
        return self.dovecot.flags(self.user, folder, uid)

    def connect(self, security: str = "plain") -> imaplib.IMAP4:
        return self.dovecot.connect(self.user, security)


# --- SMTP -----------------------------------------------------------------------------------


class _QuietController(Controller):
    """aiosmtpd warns, on every connection, that AUTH without TLS is unsafe; on loopback it is the point."""

    def factory(self):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
            return super().factory()


@dataclass
class CapturedMessage:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    authenticated_as: str | None = None
    tls: bool = False


@dataclass
class Refusal:
    """A message the capture answered with a failure instead of keeping it."""

    code: int
    mail_from: str
    rcpt_tos: list[str]


class SmtpCapture:
    """An aiosmtpd server on a free loopback port that keeps every message it accepts.

    Options: `auth=(user, password)` requires AUTH PLAIN/LOGIN (allowed without TLS,
    since this is loopback); `starttls=True` offers STARTTLS with a self-signed
    certificate (`require_tls=True` refuses mail before it). Failure modes for the
    sender's retry and dead-letter paths: `fail_next(n)` answers 451 at end of DATA
    for the next n messages; `reject_recipient(addr)` answers 550 at RCPT for addr.
    The handle_* methods are aiosmtpd's handler hooks.
    """

    def __init__(
        self,
        auth: tuple[str, str] | None = None,
        starttls: bool = False,
        require_tls: bool = False,
        host: str = HOST,
        folder: Path | None = None,
    ):
        self.host, self.port = host, None
        self.auth, self.starttls, self.require_tls = auth, starttls, require_tls
        self.messages: list[CapturedMessage] = []
        self.refusals: list[Refusal] = []
        self.rejected_recipients: set[str] = set()
        self._failures_left = 0
        self._changed = threading.Condition()
        self._folder = folder
        self._temporary_folder: Path | None = None
        self.cert_path: Path | None = None
        self._controller = None

    def start(self) -> SmtpCapture:
        if self._controller is not None:
            return self
        self.port = free_port(self.host)
        kwargs = {"decode_data": False, "enable_SMTPUTF8": True}
        if self.auth:
            kwargs.update(
                auth_required=True, auth_require_tls=False, authenticator=self._authenticate
            )
        if self.starttls or self.require_tls:
            kwargs.update(tls_context=self._server_context(), require_starttls=self.require_tls)
        self._controller = _QuietController(
            self, hostname=self.host, port=self.port, server_hostname="localhost", **kwargs
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._temporary_folder is not None:
            shutil.rmtree(self._temporary_folder, ignore_errors=True)
            self._temporary_folder = self.cert_path = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def ssl_context(self) -> ssl.SSLContext:
        return client_context(self.cert_path)

    def client(self, timeout: float = 10) -> smtplib.SMTP:
        return smtplib.SMTP(self.host, self.port, timeout=timeout)

    def _server_context(self) -> ssl.SSLContext:
        if self._folder is None:
            self._temporary_folder = Path(tempfile.mkdtemp(prefix="lapor-smtp-"))
        self.cert_path, key_path = make_certificate(self._folder or self._temporary_folder)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, key_path)
        return context

    # failure modes

    def fail_next(self, count: int) -> None:
        """Answer 451 (try again later) at the end of DATA for the next `count` messages."""
        with self._changed:
            self._failures_left = count

    def reject_recipient(self, address: str) -> None:
        """Answer 550 (mailbox unavailable) whenever `address` is given at RCPT TO."""
        self.rejected_recipients.add(address.lower())

    # reading what came

    def wait_for(self, count: int, timeout: float = 5) -> list[CapturedMessage]:
        """Block until at least `count` messages were accepted; return them all. Raise TimeoutError."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.messages) >= count, timeout):
                raise TimeoutError(
                    f"{len(self.messages)} of {count} messages arrived in {timeout}s"
                )
            return list(self.messages)

    def clear(self) -> None:
        with self._changed:
            self.messages.clear()
            self.refusals.clear()

    # aiosmtpd hooks (run on the controller's thread)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == tuple(self.auth)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.rejected_recipients:
            with self._changed:
                self.refusals.append(Refusal(550, envelope.mail_from, [address]))
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._changed:
            if self._failures_left > 0:
                self._failures_left -= 1
                self.refusals.append(Refusal(451, envelope.mail_from, list(envelope.rcpt_tos)))
                return "451 4.3.0 Temporary failure, try again later"
            raw = envelope.original_content or envelope.content
            self.messages.append(
                CapturedMessage(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    raw=raw,
                    message=BytesParser(policy=email.policy.default).parsebytes(raw),
                    authenticated_as=session.auth_data.login.decode()
                    if session.authenticated
                    else None,
                    tls=session.ssl is not None,
                )
            )
            self._changed.notify_all()
        return "250 2.0.0 OK: queued"
