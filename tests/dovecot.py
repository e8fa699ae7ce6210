"""A real Dovecot IMAP server on localhost for the tests that read a mailbox (liaison/inbound/tests/test_imap.py).

It runs from a configuration written into a temporary folder: its own ports, a passwd-file of users, a Maildir
per user in that folder, and a certificate signed by a certificate authority made for the test, so that the
client can verify it by trusting that authority's file. Nothing of the machine's own Dovecot is used.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
IMAP_PORT = 10143  # plain IMAP with STARTTLS
IMAPS_PORT = 10993  # IMAP over TLS from the first byte


def available() -> str | None:
    """Why Dovecot cannot run here, or None when it can."""
    if not os.access(DOVECOT, os.X_OK):
        return "Dovecot is not installed (apt-get install dovecot-imapd; .ci/run installs it)"
    return None


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports() -> tuple[int, int]:
    """10143 and 10993, or two ports the system picks when another test run holds those."""
    if _free(IMAP_PORT) and _free(IMAPS_PORT):
        return IMAP_PORT, IMAPS_PORT
    picked = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            picked.append(probe.getsockname()[1])
    return picked[0], picked[1]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A test certificate authority, and a certificate it signed for localhost. Returns (ca, cert, key) files."""
    now = datetime.datetime.now(datetime.UTC)
    # Wide: the tests travel in time, and whichever clock made the certificate, OpenSSL checks the real one.
    span = datetime.timedelta(days=800)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .not_valid_before(now - span)
        .not_valid_after(now + span)
        .subject_name(_name("Liaison test mail CA"))
        .issuer_name(_name("Liaison test mail CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .not_valid_before(now - span)
        .not_valid_after(now + span)
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(_pem(key))
    paths[2].chmod(0o600)
    return paths


def _mail_owner() -> tuple[int, int]:
    """Dovecot will not read mail as root: as root, the mail belongs to the unprivileged ``dovecot`` user."""
    if os.geteuid() != 0:
        return os.geteuid(), os.getegid()
    entry = pwd.getpwnam("dovecot")
    return entry.pw_uid, entry.pw_gid


_CONFIG = """\
# Written by tests/dovecot.py for one test session.
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = liaison-test-{port}
{users_line}
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain login
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
  default_fields = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
    ssl = yes
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class Dovecot:
    """One running Dovecot. ``new_mailbox`` gives a user of its own; TLS on ``ssl_port``, STARTTLS on ``port``."""

    root: Path
    ca_file: Path
    host: str = "127.0.0.1"
    port: int = IMAP_PORT
    ssl_port: int = IMAPS_PORT
    process: subprocess.Popen[bytes] | None = None
    users: dict[str, str] = field(default_factory=dict)  # name: password
    handed_out: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, *, mailboxes: int = 100) -> Dovecot:
        # Its own folder under /tmp, not pytest's: Dovecot's unprivileged processes must be able to reach it.
        root = Path(tempfile.mkdtemp(prefix="liaison-dovecot-"))
        root.chmod(0o755)
        for sub in ("run", "state", "mail"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        ca_file, _, _ = make_certificates(root)
        uid, gid = _mail_owner()
        os.chown(root / "mail", uid, gid)
        # Every user written before the start: Dovecot notices a changed passwd-file at most once a second.
        users = {f"mailbox{n}": f"test-only-password-{n}-{secrets.token_hex(4)}" for n in range(1, mailboxes + 1)}
        (root / "users").write_text("".join(f"{name}:{{PLAIN}}{pw}::::::\n" for name, pw in users.items()))
        (root / "users").chmod(0o644)  # test passwords only
        users_line = ""
        if os.geteuid() != 0:
            # Unprivileged: Dovecot runs its every process as this user, with no chroot.
            me = pwd.getpwuid(os.geteuid()).pw_name
            users_line = f"default_internal_user = {me}\ndefault_login_user = {me}"
        port, ssl_port = _ports()
        config = root / "dovecot.conf"
        config.write_text(
            _CONFIG.format(root=root, port=port, ssl_port=ssl_port, uid=uid, gid=gid, users_line=users_line)
        )
        server = cls(root=root, ca_file=ca_file, port=port, ssl_port=ssl_port, users=users)
        server.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        server._wait_until_listening()
        return server

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + 15
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"Dovecot stopped at start: {error.strip()}\n{self.log()}")
            if all(self._listening(port) for port in (self.port, self.ssl_port)):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Dovecot did not open its ports within 15 seconds.\n{self.log()}")

    def _listening(self, port: int) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex((self.host, port)) == 0

    def new_mailbox(self) -> tuple[str, str]:
        """The user name and password of a mailbox no one has used yet."""
        name = f"mailbox{len(self.handed_out) + 1}"
        if name not in self.users:
            raise RuntimeError(f"All {len(self.users)} test mailboxes are used; start Dovecot with more.")
        self.handed_out.append(name)
        return name, self.users[name]

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else "(no log)"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
