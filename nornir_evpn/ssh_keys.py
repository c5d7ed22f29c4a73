"""The private key scrapli would offer a host, and leaving out an RSA one on ssh2.

libssh2 1.11 (bundled by ssh2-python 1.1 and 1.2, our default transport on Linux) corrupts
its heap when it signs with an RSA key (libssh2/libssh2#1517): the process aborts or
segfaults (`free(): invalid next size`), often long after that login, with a report half
printed or a PASS already on screen. scrapli offers a key when the inventory names one
(`auth_private_key`) or when an ssh config file has an `IdentityFile` for the host: Nornir
hands it `~/.ssh/config`, scrapli falls back to `/etc/ssh/ssh_config`, and
`Host *` / `IdentityFile ~/.ssh/id_rsa` is a common block there.

`leave_out_rsa_keys` gives each ssh2 host that would offer an RSA key its connection extras
without it (`ssh_config_file: false`, no `auth_private_key`): it logs in with its password,
and the caller says so once per key. A key whose type cannot be told without its
passphrase (encrypted PKCS#8, no `.pub` beside it) is left out too. ed25519 and ECDSA keys,
a key file that does not exist, and the `system` and `paramiko` transports are left as they
are.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nornir_evpn import platform

CONNECTION = "scrapli"
NORNIR_SSH_CONFIG = "~/.ssh/config"  # Nornir's default `ssh.config_file`, which nornir-scrapli passes on
RSA = "ssh-rsa"
UNKNOWN = "unknown"  # a key file whose type cannot be told without its passphrase
_RSA_OID = bytes.fromhex("06092a864886f70d010101")


def _string(blob: bytes, at: int) -> tuple[bytes, int]:
    (n,) = struct.unpack_from(">I", blob, at)
    end = at + 4 + n
    if end > len(blob):
        raise ValueError("truncated")
    return blob[at + 4:end], end


def key_type(path: str | Path) -> str | None:
    """The SSH key type of a private key file (`ssh-rsa`, `ssh-ed25519`, `ecdsa-sha2-...`),
    from its public part (readable without the passphrase); UNKNOWN for a key whose type
    cannot be told (encrypted PKCS#8 without a `.pub` beside it); None when unreadable."""
    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    if "-----BEGIN RSA PRIVATE KEY-----" in text:
        return RSA
    if "-----BEGIN EC PRIVATE KEY-----" in text:
        return "ecdsa"
    if "-----BEGIN OPENSSH PRIVATE KEY-----" in text:
        try:
            blob = _pem_der(text, "OPENSSH PRIVATE KEY")
            magic = b"openssh-key-v1\0"
            if not blob.startswith(magic):
                return None
            at = len(magic)
            for _ in range(3):  # cipher name, kdf name, kdf options
                _, at = _string(blob, at)
            at += 4  # number of keys
            public, _ = _string(blob, at)
            kind, _ = _string(public, 0)
            return kind.decode("ascii")
        except (binascii.Error, ValueError, struct.error, UnicodeDecodeError):
            return None
    if "-----BEGIN PRIVATE KEY-----" in text:  # PKCS#8 (openssl genpkey, ssh-keygen -m PKCS8)
        try:
            der = _pem_der(text, "PRIVATE KEY")
        except binascii.Error:
            return None
        # its AlgorithmIdentifier, in the clear: rsaEncryption (1.2.840.113549.1.1.1)
        return RSA if _RSA_OID in der[:32] else "pkcs8"  # another algorithm: not RSA
    # encrypted PKCS#8 and anything else: the public key beside it, if any
    return _pub_type(p) or UNKNOWN


def _pem_der(text: str, label: str) -> bytes:
    """The decoded body of the `-----BEGIN <label>-----` block of `text` (binascii.Error
    when it is not base64)."""
    body = text.split(f"-----BEGIN {label}-----", 1)[1].split("-----END", 1)[0]
    return base64.b64decode("".join(body.split()))


def _pub_type(private: Path) -> str | None:
    try:
        words = Path(f"{private}.pub").read_text(encoding="ascii", errors="replace").split()
    except OSError:
        return None
    return words[0] if words else None


def offered_key(extras: dict[str, Any], hostname: str, config_file: str | bool = NORNIR_SSH_CONFIG) -> str | None:
    """The private key file scrapli offers `hostname` with these connection extras (the
    inventory's `auth_private_key`, else the ssh config's `IdentityFile` for the host)."""
    if extras.get("auth_private_key"):
        return str(extras["auth_private_key"])
    wanted = extras.get("ssh_config_file", config_file)
    if wanted is False:
        return None
    from scrapli.ssh_config import ssh_config_factory  # scrapli's own reading, as it connects

    # scrapli's order (BaseDriver._resolve_ssh_config): the given file, ~/.ssh/config, /etc/ssh/ssh_config
    for candidate in ("" if wanted is True else str(wanted), "~/.ssh/config", "/etc/ssh/ssh_config"):
        path = Path(candidate).expanduser() if candidate else None
        if path is not None and path.is_file():
            try:
                return ssh_config_factory(str(path)).lookup(hostname).identity_file or None
            except Exception:  # an ssh config scrapli cannot read fails its connection anyway
                return None
    return None


def leave_out_rsa_keys(hosts: Iterable[Any], config_file: str | bool = NORNIR_SSH_CONFIG) -> list[str]:
    """Give each SR Linux host on the ssh2 transport that would offer an RSA key its scrapli
    extras without the key (it logs in with its password). Returns one note per key left
    out, naming it and its hosts; nothing when no host would offer one (or it was done)."""
    left_out: dict[str, list[str]] = {}
    types: dict[str, str | None] = {}
    for host in hosts:
        if host.platform != platform.PLATFORM:
            continue
        params = host.get_connection_parameters(CONNECTION)
        extras = dict(params.extras or {})
        if extras.get("transport", "system") != "ssh2":
            continue
        key = offered_key(extras, params.hostname or host.hostname or host.name, config_file)
        if key is None:
            continue
        if key not in types:
            types[key] = key_type(key)
        if types[key] not in (RSA, UNKNOWN):  # an unknown one may be RSA: no crash risked
            continue
        from nornir.core.inventory import ConnectionOptions

        own = host.connection_options.get(CONNECTION)
        extras.update(ssh_config_file=False, auth_private_key="")
        host.connection_options[CONNECTION] = ConnectionOptions(
            hostname=getattr(own, "hostname", None), port=getattr(own, "port", None),
            username=getattr(own, "username", None), password=getattr(own, "password", None),
            platform=getattr(own, "platform", None), extras=extras,
        )
        left_out.setdefault(key, []).append(host.name)
    return [
        f"note: {key} {'is an RSA key' if types[key] == RSA else 'may be an RSA key (its type needs its passphrase)'}"
        f", which the ssh2 transport cannot sign with (libssh2 1.11 crashes the process): "
        f"{_hosts(names)} log in with the password instead; for key login use an ed25519 or "
        "ECDSA key, or `transport: system` in groups.yaml"
        for key, names in left_out.items()
    ]


def _hosts(names: list[str]) -> str:
    return f"{len(names)} hosts" if len(names) > 3 else ", ".join(names)
