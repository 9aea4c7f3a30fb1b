"""A throwaway OpenLDAP slapd for the tests (and the LDAP benchmark), started by the suite itself.

``SlapdServer`` builds its own cn=config offline (``slapadd -n0`` from ``slapd-config.ldif.tmpl`` beside this
file), optionally bulk-loads an LDIF with ``slapadd -q`` (offline: overlays such as memberof do not run), then
starts ``slapd -d 0`` in the foreground on a free loopback port and waits until the port answers.

Fixtures (registered in ``tests/connectors/conftest.py`` and ``tests/e2e/conftest.py``):

* ``slapd`` (session): one server per test process; gives ``url``, ``bind_dn``, ``password``, ``base_dn``.
* ``slapd_tls`` (session): a second server offering StartTLS with a throwaway self-signed certificate
  (``ca_file``); needs the ``openssl`` command.
* ``ldap_subtree`` (function): a fresh ``ou=`` entry under the suffix with ``ou=people`` and ``ou=groups``
  below it, for one test, so tests never see each other's entries; ``settings()`` gives connector settings
  for it (``User``: inetOrgPerson named by uid, ``Group``: groupOfNames named by cn).

A test that stops or reconfigures its server starts a ``SlapdServer()`` of its own (about 0.05 s).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.peers import free_port, peer_missing

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
TEMPLATE = Path(__file__).with_name("slapd-config.ldif.tmpl")
# slapd sizes its connection table from RLIMIT_NOFILE: at the ~1M some container runtimes set it takes
# hundreds of MB of RAM, so the child gets a small soft limit.
NOFILE = 4096


@dataclass
class SlapdServer:
    """One slapd process with its own config and database in a temporary directory."""

    base_dn: str = "dc=example,dc=org"
    password: str = "secret"
    ldif: str | None = None
    """Extra LDIF text bulk-loaded before start (the suffix entry is always created)."""
    port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="slapd-", dir="/tmp")))
    process: subprocess.Popen[bytes] | None = None
    tls: bool = False
    """Serve StartTLS with a self-signed certificate for 127.0.0.1 (``ca_file`` verifies it)."""

    @property
    def ca_file(self) -> Path:
        return self.workdir / "cert.pem"

    @property
    def bind_dn(self) -> str:
        return f"cn=admin,{self.base_dn}"

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def _suffix_ldif(self) -> str:
        rdn_value = self.base_dn.split(",")[0].split("=", 1)[1]
        return (
            f"dn: {self.base_dn}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\n"
            f"dc: {rdn_value}\no: {rdn_value}\n\n"
        )

    def _slapadd(self, *args: str) -> None:
        done = subprocess.run([str(SLAPADD), *args], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"slapadd {' '.join(args)} failed: {done.stdout}{done.stderr}")

    def build(self) -> None:
        """Write cn=config and the initial entries (offline)."""
        (self.workdir / "slapd.d").mkdir(parents=True, exist_ok=True)
        (self.workdir / "data").mkdir(exist_ok=True)
        config = TEMPLATE.read_text()
        for key, value in {
            "@TLS@\n": self._tls_config(),
            "@DIR@": str(self.workdir),
            "@SUFFIX@": self.base_dn,
            "@ROOTDN@": self.bind_dn,
            "@PASSWORD@": self.password,
        }.items():
            config = config.replace(key, value)
        (self.workdir / "config.ldif").write_text(config)
        self._slapadd("-n0", "-F", str(self.workdir / "slapd.d"), "-l", str(self.workdir / "config.ldif"))
        (self.workdir / "data.ldif").write_text(self._suffix_ldif() + (self.ldif or ""))
        self._slapadd(
            "-q",
            "-F",
            str(self.workdir / "slapd.d"),
            "-b",
            self.base_dn,
            "-l",
            str(self.workdir / "data.ldif"),
        )

    def _tls_config(self) -> str:
        if not self.tls:
            return ""
        key = self.workdir / "key.pem"
        command = [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ]
        command += ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(self.ca_file)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"openssl could not make a test certificate: {done.stderr}")
        return f"olcTLSCertificateFile: {self.ca_file}\nolcTLSCertificateKeyFile: {key}\n"

    @staticmethod
    def _lower_nofile() -> None:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY or soft > NOFILE:
            resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, hard))

    def start(self, timeout: float = 10.0) -> None:
        log = (self.workdir / "slapd.log").open("wb")
        command = [str(SLAPD), "-d", "0", "-F", str(self.workdir / "slapd.d"), "-h", f"{self.url}/"]
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=self._lower_nofile
        )
        log.close()
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None:
                tail = (self.workdir / "slapd.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"slapd exited with {self.process.returncode}: {tail}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"slapd did not open {self.url} within {timeout} s")
            time.sleep(0.02)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def restart(self) -> None:
        """Stop the process (keeping its config and data) and start it again on the same port."""
        self._terminate()
        self.start()

    def stop(self) -> None:
        self._terminate()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # clean shutdown
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> SlapdServer:
        try:
            self.build()
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def slapd_available() -> str | None:
    """None when slapd can run here, else the reason it cannot."""
    for tool in (SLAPD, SLAPADD):
        if not os.access(tool, os.X_OK):
            return f"{tool} not found (apt-get install slapd ldap-utils)"
    return None


@pytest.fixture(scope="session")
def slapd() -> Iterator[SlapdServer]:
    reason = slapd_available()
    if reason:
        peer_missing("slapd", reason)
    with SlapdServer() as server:
        yield server


@pytest.fixture(scope="session")
def slapd_tls() -> Iterator[SlapdServer]:
    """A second server, offering StartTLS with a self-signed certificate (``ca_file``)."""
    reason = slapd_available() or (
        None if shutil.which("openssl") else "openssl not found (apt-get install openssl)"
    )
    if reason:
        peer_missing("slapd with TLS", reason)
    with SlapdServer(tls=True) as server:
        yield server


@dataclass(frozen=True)
class LdapSubtree:
    """An empty ``ou=`` entry of its own for one test, on the session's slapd."""

    server: SlapdServer
    dn: str

    def settings(self, **extra: object) -> dict[str, object]:
        """Connector settings with ``User`` (inetOrgPerson, RDN uid) and ``Group`` (groupOfNames, RDN cn)."""
        settings: dict[str, object] = {
            "url": self.server.url,
            "bindDn": self.server.bind_dn,
            "password": self.server.password,
            "baseDn": self.dn,
            "objects": {
                "User": {
                    "baseDn": f"ou=people,{self.dn}",
                    "objectClass": "inetOrgPerson",
                    "rdnAttribute": "uid",
                },
                "Group": {
                    "baseDn": f"ou=groups,{self.dn}",
                    "objectClass": "groupOfNames",
                    "rdnAttribute": "cn",
                },
            },
        }
        settings.update(extra)
        return settings


def _ldapadd(server: SlapdServer, ldif: str) -> None:
    command = ["ldapadd", "-x", "-H", server.url, "-D", server.bind_dn, "-w", server.password]
    done = subprocess.run(command, input=ldif, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ldapadd failed: {done.stderr}")


@pytest.fixture
def ldap_subtree(slapd: SlapdServer) -> LdapSubtree:
    name = f"t{uuid.uuid4().hex[:12]}"
    dn = f"ou={name},{slapd.base_dn}"
    _ldapadd(
        slapd,
        f"dn: {dn}\nobjectClass: organizationalUnit\nou: {name}\n\n"
        f"dn: ou=people,{dn}\nobjectClass: organizationalUnit\nou: people\n\n"
        f"dn: ou=groups,{dn}\nobjectClass: organizationalUnit\nou: groups\n\n",
    )
    return LdapSubtree(slapd, dn)
