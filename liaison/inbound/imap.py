"""Reading a hospital mailbox over IMAP: ``liaison mail fetch`` and the worker's poll.

Each message is read by its UID, filed by ``inbound_message_ingest``, and only then moved out of the folder
read: to the filed folder, or to the kept-aside folder when Liaison kept it aside. A crash between the two
leaves the message where it was; the next run reads it again and ingest recognises it, so nothing is filed
twice. Two runs at once are safe for the same reason.

Logs name the server and count messages; never an address, a subject or the password.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError
from imapclient import DELETED, IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from liaison.inbound.models import InboundStatus
from liaison.inbound.services import Ingested, inbound_message_ingest
from liaison.lib import periodic
from liaison.lib.errors import ApplicationError
from liaison.org.models import Site

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30  # for connecting and for each answer from the server
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class MailboxError(ApplicationError):
    """The mailbox could not be read: the message says why and what to check. Nothing is half-filed."""


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    tls: str = "tls"  # "tls" from the first byte, "starttls", or "off" (localhost only)
    ca_file: str = ""
    folder: str = "INBOX"
    filed_folder: str = "Liaison/Filed"
    kept_aside_folder: str = "Liaison/Kept aside"
    batch: int = 200
    site_code: str = ""

    @classmethod
    def from_settings(cls) -> MailboxSettings | None:
        """The mailbox the LIAISON_IMAP_* settings describe, or None when no host is set."""
        if not settings.LIAISON_IMAP_HOST:
            return None
        return cls(
            host=settings.LIAISON_IMAP_HOST,
            port=settings.LIAISON_IMAP_PORT,
            user=settings.LIAISON_IMAP_USER,
            password=settings.LIAISON_IMAP_PASSWORD,
            tls=settings.LIAISON_IMAP_TLS,
            ca_file=settings.LIAISON_IMAP_CA_FILE,
            folder=settings.LIAISON_IMAP_FOLDER,
            filed_folder=settings.LIAISON_IMAP_FILED_FOLDER,
            kept_aside_folder=settings.LIAISON_IMAP_KEPT_ASIDE_FOLDER,
            batch=settings.LIAISON_IMAP_BATCH,
            site_code=settings.LIAISON_IMAP_SITE,
        )

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Fetched:
    """One message read from the mailbox, and what became of it."""

    uid: int
    result: Ingested | None  # None: it could not be filed and was left in the folder
    moved_to: str = ""  # the folder it was moved to; empty when it stayed
    problem: str = ""  # why it stayed (no patient data)


@dataclass
class FetchRun:
    fetched: list[Fetched] = field(default_factory=list)
    waiting: int = 0  # messages in the folder when the run began, this run's included

    @property
    def moved(self) -> int:
        return sum(1 for item in self.fetched if item.moved_to)

    @property
    def more(self) -> bool:
        """More messages wait than this run read (the batch limit was reached)."""
        return self.waiting > len(self.fetched)


def _server_text(exc: BaseException) -> str:
    """What the server said, without Python's bytes quoting."""
    text = str(exc.args[0] if exc.args else exc)
    if text[:2] in {"b'", 'b"'} and text[-1:] == text[1]:
        text = text[2:-1]
    return text.strip() or type(exc).__name__


def _tls_context(config: MailboxSettings) -> ssl.SSLContext:
    if config.ca_file:
        try:
            return ssl.create_default_context(cafile=config.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise MailboxError(
                f"LIAISON_IMAP_CA_FILE {config.ca_file} cannot be read as a PEM certificate file: "
                f"{getattr(exc, 'strerror', None) or exc}."
            ) from exc
    return ssl.create_default_context()


def _open(config: MailboxSettings, context: ssl.SSLContext | None) -> IMAPClient:
    client = IMAPClient(
        config.host, port=config.port, ssl=config.tls == "tls", ssl_context=context, timeout=TIMEOUT_SECONDS
    )
    if config.tls == "starttls":
        try:
            client.starttls(context)
        except BaseException:
            with contextlib.suppress(OSError):
                client.shutdown()
            raise
    return client


def _connect(config: MailboxSettings) -> IMAPClient:
    """A logged-in client. Raises MailboxError with what to check for each way this can fail."""
    where = config.server
    context = _tls_context(config) if config.tls != "off" else None
    if config.tls == "off" and config.host not in LOCAL_HOSTS:
        raise MailboxError(f"LIAISON_IMAP_TLS=off is only allowed for a server on this machine, not {config.host}.")
    try:
        client = _open(config, context)
    except ssl.SSLCertVerificationError as exc:
        raise MailboxError(
            f"The certificate of the IMAP server {where} could not be verified ({exc.verify_message}). "
            "Check the host name; for a private certificate authority set LIAISON_IMAP_CA_FILE."
        ) from exc
    except ssl.SSLError as exc:
        raise MailboxError(
            f"No TLS connection with the IMAP server {where} ({exc.reason or exc}). "
            "Check LIAISON_IMAP_PORT and LIAISON_IMAP_TLS (tls for port 993, starttls for 143)."
        ) from exc
    except socket.gaierror as exc:
        raise MailboxError(f"The IMAP server {config.host} is not a known host name ({exc.strerror}).") from exc
    except TimeoutError as exc:
        raise MailboxError(f"The IMAP server {where} did not answer within {TIMEOUT_SECONDS} seconds.") from exc
    except OSError as exc:
        raise MailboxError(f"Could not reach the IMAP server {where}: {exc.strerror or exc}.") from exc
    except IMAPClientError as exc:
        raise MailboxError(f"The IMAP server {where} refused the connection: {_server_text(exc)}.") from exc
    try:
        client.login(config.user, config.password)
    except LoginError as exc:
        _close(client)
        raise MailboxError(
            f"The IMAP server {where} refused the user name or password ({_server_text(exc)}). "
            "Check LIAISON_IMAP_USER and LIAISON_IMAP_PASSWORD."
        ) from exc
    return client


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except (IMAPClientError, OSError):
        with contextlib.suppress(OSError):
            client.shutdown()


class _Mailbox:
    """One logged-in session on the folder read, with the two folders messages are moved to."""

    def __init__(self, client: IMAPClient, config: MailboxSettings) -> None:
        self.client = client
        self.config = config
        delimiter = self._delimiter()
        # The settings write sub-folders with "/"; the server may separate them with "." instead.
        self.filed = config.filed_folder.replace("/", delimiter)
        self.kept_aside = config.kept_aside_folder.replace("/", delimiter)
        self.can_move = client.has_capability("MOVE")
        self.can_expunge_one = client.has_capability("UIDPLUS")

    def _delimiter(self) -> str:
        listed = self.client.list_folders("", "INBOX")
        delimiter = listed[0][1] if listed else b"/"
        if isinstance(delimiter, bytes):
            delimiter = delimiter.decode()
        return delimiter or "/"

    def open(self) -> None:
        for folder in (self.filed, self.kept_aside):
            if not self.client.folder_exists(folder):
                try:
                    self.client.create_folder(folder)
                except IMAPClientError as exc:
                    raise MailboxError(
                        f"The folder {folder} does not exist on the IMAP server {self.config.server} and could not "
                        f"be created ({_server_text(exc)})."
                    ) from exc
                with contextlib.suppress(IMAPClientError):
                    self.client.subscribe_folder(folder)  # so that mail programs show it
                logger.info("IMAP server %s: created the folder %s", self.config.server, folder)
        try:
            self.client.select_folder(self.config.folder)
        except IMAPClientError as exc:
            raise MailboxError(
                f"The folder {self.config.folder} cannot be opened on the IMAP server {self.config.server} "
                f"({_server_text(exc)}). Check LIAISON_IMAP_FOLDER."
            ) from exc

    def waiting(self) -> list[int]:
        return sorted(int(uid) for uid in self.client.search("ALL"))

    def read(self, uid: int) -> bytes | None:
        """The message exactly as stored, without marking it read; None if it went meanwhile."""
        answer: dict[int, dict[bytes, Any]] = self.client.fetch([uid], ["BODY.PEEK[]"])
        raw = answer.get(uid, {}).get(b"BODY[]")
        return bytes(raw) if raw is not None else None

    def move(self, uid: int, folder: str) -> None:
        if self.can_move:
            self.client.move([uid], folder)
            return
        # Without MOVE: copy, mark the original deleted, and expunge it (only it, where the server allows).
        self.client.copy([uid], folder)
        self.client.add_flags([uid], [DELETED], silent=True)
        if self.can_expunge_one:
            self.client.uid_expunge([uid])
        else:
            self.client.expunge()


def _destination(result: Ingested, mailbox: _Mailbox) -> str:
    return mailbox.kept_aside if result.message.status == InboundStatus.QUARANTINED else mailbox.filed


def mailbox_fetch(
    *,
    config: MailboxSettings,
    site: Site | None = None,
    on_message: Callable[[Fetched], object] | None = None,
) -> FetchRun:
    """Read at most ``config.batch`` messages from the folder, oldest first, file each and move it away.

    ``site`` is where a message goes when no recipient names a site. ``on_message`` sees each message as it is
    done (the command prints a line). Raises MailboxError when the server cannot be reached or used; what was
    filed and moved before that stays so, and the rest is read again next time.
    """
    run = FetchRun()
    client = _connect(config)
    try:
        mailbox = _Mailbox(client, config)
        mailbox.open()
        uids = mailbox.waiting()
        run.waiting = len(uids)
        for uid in uids[: config.batch]:
            item = _fetch_one(mailbox, uid, site)
            if item is None:
                run.waiting -= 1
                continue
            run.fetched.append(item)
            if on_message is not None:
                on_message(item)
    except (IMAPClientError, OSError) as exc:
        _log_run(config, run, failed=True)
        raise MailboxError(
            f"The connection to the IMAP server {config.server} failed part-way ({_server_text(exc)}); "
            f"{run.moved} message(s) were filed and moved first. The others are read again next time."
        ) from exc
    finally:
        _close(client)
    _log_run(config, run)
    return run


def _fetch_one(mailbox: _Mailbox, uid: int, site: Site | None) -> Fetched | None:
    raw = mailbox.read(uid)
    if raw is None:
        return None  # another run moved it between the search and the read
    try:
        result = inbound_message_ingest(raw=raw, site=site)
    except (OperationalError, InterfaceError) as exc:
        # The database itself is away: every message behind this one would fail the same way.
        raise MailboxError(
            f"The database stopped answering ({type(exc).__name__}); the messages not yet moved are read again "
            "next time."
        ) from exc
    except Exception as exc:
        # One message the database refuses must not hold up those behind it. Its type only: the text of the
        # error may quote the message.
        logger.error("IMAP message UID %s could not be filed (%s); left in the mailbox", uid, type(exc).__name__)
        return Fetched(uid, None, problem=f"could not be filed ({type(exc).__name__}); left in the mailbox")
    # Stored and committed: only now does the message leave the folder.
    destination = _destination(result, mailbox)
    mailbox.move(uid, destination)
    return Fetched(uid, result, moved_to=destination)


def _log_run(config: MailboxSettings, run: FetchRun, *, failed: bool = False) -> None:
    counts: Counter[str] = Counter()
    for item in run.fetched:
        if item.result is None:
            counts["left"] += 1
        elif not (item.result.created or item.result.refiled):
            counts["duplicate"] += 1
        elif item.result.message.status == InboundStatus.QUARANTINED:
            counts["kept aside"] += 1
        else:
            counts["filed"] += 1
    quiet = not (run.fetched or run.waiting or failed)  # an empty folder every minute is not news
    logger.log(
        logging.WARNING if failed else logging.DEBUG if quiet else logging.INFO,
        "IMAP server %s: %d read (%d filed, %d kept aside, %d already ingested, %d left in the folder), "
        "%d more waiting%s",
        config.server,
        len(run.fetched),
        counts["filed"],
        counts["kept aside"],
        counts["duplicate"],
        counts["left"],
        max(run.waiting - len(run.fetched), 0),
        "; stopped by a connection error" if failed else "",
    )


def site_for_code(code: str) -> Site:
    site = Site.objects.filter(code=code.upper()).first()
    if site is None:
        raise MailboxError(f"No site has the code {code}.")
    return site


def mailbox_poll() -> dict[str, int | str]:
    """The worker's round: one batch from the configured mailbox. Returns counts, or the error it met."""
    config = MailboxSettings.from_settings()
    if config is None:
        return {}
    try:
        site = site_for_code(config.site_code) if config.site_code else None
        run = mailbox_fetch(config=config, site=site)
    except MailboxError as exc:
        logger.error("Could not read the mailbox: %s", exc.message)
        return {"error": exc.message}
    return {"read": len(run.fetched), "moved": run.moved, "waiting": max(run.waiting - len(run.fetched), 0)}


POLL_TASK = "liaison.inbound.tasks.mailbox_poll"


def poll_register() -> bool:
    """Have ``liaison worker`` read the mailbox every LIAISON_IMAP_POLL_SECONDS, when a mailbox is configured."""
    if not settings.LIAISON_IMAP_HOST:
        return False
    periodic.register(task=POLL_TASK, every=timedelta(seconds=settings.LIAISON_IMAP_POLL_SECONDS))
    return True
