"""An RSA key in the user's ssh config crashed the process on the ssh2 transport (libssh2 1.11
signing with RSA corrupts its heap: `free(): invalid next size`, rc 134/139, after a report
half printed or a PASS): such a host now logs in with its password, said once per key."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from nornir_evpn.intent import derive_intent
from nornir_evpn.inventory import build_inventory
from nornir_evpn.inventory_plugin import inventory_from_docs
from nornir_evpn.ssh_keys import key_type, leave_out_rsa_keys, offered_key
from nornir_evpn.topology import load_topology
from reliability.helpers import LAB, run_subprocess

OPENSSH = serialization.PrivateFormat.OpenSSH
PEM = serialization.Encoding.PEM


def _write(path: Path, key, fmt=OPENSSH, password: bytes | None = None, pub: bool = False) -> Path:
    enc = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    path.write_bytes(key.private_bytes(PEM, fmt, enc))
    if pub:
        Path(f"{path}.pub").write_bytes(key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH))
    return path


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_key_type_reads_the_public_part_of_every_format(tmp_path, rsa_key) -> None:
    assert key_type(_write(tmp_path / "id_rsa", rsa_key)) == "ssh-rsa"
    assert key_type(_write(tmp_path / "id_rsa_enc", rsa_key, password=b"pass-phrase")) == "ssh-rsa"
    assert key_type(_write(tmp_path / "id_rsa_pem", rsa_key, serialization.PrivateFormat.TraditionalOpenSSL)) == "ssh-rsa"
    ed = ed25519.Ed25519PrivateKey.generate()
    assert key_type(_write(tmp_path / "id_ed25519", ed)) == "ssh-ed25519"
    assert key_type(_write(tmp_path / "id_ed25519_enc", ed, password=b"pass-phrase")) == "ssh-ed25519"
    ecdsa = ec.generate_private_key(ec.SECP256R1())
    assert key_type(_write(tmp_path / "id_ecdsa", ecdsa)) == "ecdsa-sha2-nistp256"
    # PKCS#8 does not name its type without the passphrase: the .pub beside it does
    assert key_type(_write(tmp_path / "p8", rsa_key, serialization.PrivateFormat.PKCS8, b"pw", pub=True)) == "ssh-rsa"
    # ... unless it is not encrypted (openssl genpkey, ssh-keygen -m PKCS8): its algorithm is
    # in the clear (review: such an RSA key without a .pub still crashed the process)
    assert key_type(_write(tmp_path / "p8_plain", rsa_key, serialization.PrivateFormat.PKCS8)) == "ssh-rsa"
    assert key_type(_write(tmp_path / "p8_ed", ed25519.Ed25519PrivateKey.generate(),
                           serialization.PrivateFormat.PKCS8)) == "pkcs8"
    # encrypted and alone: its type cannot be told, it may be RSA (left out on ssh2)
    assert key_type(_write(tmp_path / "p8_alone", rsa_key, serialization.PrivateFormat.PKCS8, b"pw")) == "unknown"
    (tmp_path / "garbage").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nnot base64!\n-----END")
    assert key_type(tmp_path / "garbage") is None
    assert key_type(tmp_path / "missing") is None


def test_the_key_offered_is_the_inventorys_else_the_ssh_configs_for_that_host(tmp_path) -> None:
    config = tmp_path / "config"
    config.write_text("Host lab-*\n  IdentityFile /keys/lab\nHost *\n  IdentityFile /keys/any\n")
    assert offered_key({"transport": "ssh2"}, "lab-leaf1", str(config)) == "/keys/lab"
    assert offered_key({"transport": "ssh2"}, "10.0.0.1", str(config)) == "/keys/any"
    assert offered_key({"auth_private_key": "/keys/own"}, "lab-leaf1", str(config)) == "/keys/own"
    assert offered_key({"ssh_config_file": False}, "lab-leaf1", str(config)) is None
    assert offered_key({"ssh_config_file": str(config)}, "lab-leaf1", False) == "/keys/lab"


def _inventory(transport: str = "ssh2"):
    topology = load_topology(LAB)
    docs = build_inventory(topology, derive_intent(topology))
    docs["groups"]["srl"]["connection_options"]["scrapli"]["extras"]["transport"] = transport
    return inventory_from_docs(docs, "x")


def test_only_ssh2_hosts_offering_an_rsa_key_lose_it_and_it_is_said_once(tmp_path, rsa_key) -> None:
    pytest.importorskip("ssh2")  # without ssh2-python the inventory plugin picks paramiko
    rsa_path = _write(tmp_path / "id_rsa", rsa_key)
    ed_path = _write(tmp_path / "id_ed25519", ed25519.Ed25519PrivateKey.generate())
    config = tmp_path / "config"
    config.write_text(f"Host clab-evpn-mh01-leaf*\n  IdentityFile {ed_path}\nHost *\n  IdentityFile {rsa_path}\n")
    inv = _inventory()
    notes = leave_out_rsa_keys(inv.hosts.values(), str(config))
    assert notes == [f"note: {rsa_path} is an RSA key, which the ssh2 transport cannot sign with (libssh2 "
                     "1.11 crashes the process): spine1 log in with the password instead; for key login use "
                     "an ed25519 or ECDSA key, or `transport: system` in groups.yaml"]
    spine = inv.hosts["spine1"].get_connection_parameters("scrapli")
    assert spine.extras["ssh_config_file"] is False and spine.extras["auth_private_key"] == ""
    assert spine.extras["timeout_transport"] == 30 and spine.platform == "nokia_srlinux"  # the rest kept
    leaf = inv.hosts["leaf1"].get_connection_parameters("scrapli")
    assert "ssh_config_file" not in leaf.extras  # an ed25519 key: offered as before
    assert "scrapli" not in inv.hosts["ce1"].connection_options
    assert leave_out_rsa_keys(inv.hosts.values(), str(config)) == []  # done: nothing offered any more
    # `transport: system` runs OpenSSH, which signs with RSA: left alone
    assert leave_out_rsa_keys(_inventory("system").hosts.values(), str(config)) == []


@pytest.mark.skipif(importlib.util.find_spec("ssh2") is None, reason="the crash is libssh2's")
def test_an_rsa_identity_file_in_ssh_config_no_longer_crashes_configure_and_verify(tmp_path, rsa_key) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    _write(home / ".ssh" / "id_rsa", rsa_key)
    (home / ".ssh" / "config").write_text("Host *\n  IdentityFile ~/.ssh/id_rsa\n")
    env = {"HOME": str(home), "NORNIR_EVPN_PASSWORD": "Keys-1!", "NORNIR_EVPN_TWIN_TIMING": "instant"}
    state = tmp_path / "twin.json"
    twin = ["--twin", "--twin-state", str(state), "--inventory", str(LAB.parent)]
    assert run_subprocess("twin", "up", "--topology", str(LAB), "--state-file", str(state),
                          cwd=tmp_path, env=env).code == 0
    try:
        configure = run_subprocess("configure", *twin, "--json", cwd=tmp_path, env=env, timeout=120)
        assert configure.code == 0, configure.err[-1500:]
        assert configure.doc["ok"] and sum(h["committed"] for h in configure.doc["hosts"].values()) == 3
        assert configure.err.count("is an RSA key") == 1 and "4 hosts log in with the password" in configure.err
        for _ in range(2):  # the crash hit 3 of 3 runs before, at a random point
            verify = run_subprocess("verify", *twin, "--json", "--hosts", "leaf1,spine1", cwd=tmp_path, env=env)
            assert verify.code in (0, 1), verify.err[-1500:]  # leaf1 learnt no CE MAC: no traffic ran
            assert verify.doc["hosts"]["spine1"]["ok"] and verify.doc["hosts"]["leaf1"]["error"] is None
    finally:
        run_subprocess("twin", "down", "--state-file", str(state), cwd=tmp_path, env=env)
