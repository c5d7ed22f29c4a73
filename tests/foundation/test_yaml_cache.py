"""A big inventory file's parse kept as JSON (nornir_evpn.yaml_cache): PyYAML took 110 ms
for a 128-leaf hosts.yaml at every command, a millisecond of each host's share of it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from nornir_evpn import yaml_cache
from nornir_evpn.yaml_cache import MIN_BYTES, parsed


def _big(extra: str = "") -> str:
    rows = "".join(f"leaf{i}:\n  hostname: 10.0.0.{i % 250}\n  data: {{asn: {100 + i}, ok: true}}\n"
                   for i in range(MIN_BYTES // 40))
    return rows + extra


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, text: str) -> object:
        self.calls += 1
        return yaml.safe_load(text)


def test_a_big_text_is_parsed_once(tmp_path: Path) -> None:
    parse = Counting()
    first = parsed(_big(), parse, tmp_path)
    again = parsed(_big(), parse, tmp_path)
    assert again == first and parse.calls == 1
    assert again["leaf7"] == {"hostname": "10.0.0.7", "data": {"asn": 107, "ok": True}}
    [kept] = tmp_path.glob("*.json")
    assert kept.stat().st_mode & 0o777 == 0o600
    # another text (one value edited) is another parse
    edited = _big().replace("asn: 107,", "asn: 65107,")
    assert parsed(edited, parse, tmp_path)["leaf7"]["data"]["asn"] == 65107 and parse.calls == 2


def test_small_texts_and_secrets_are_never_kept(tmp_path: Path) -> None:
    parse = Counting()
    parsed("leaf1: {hostname: a}\n", parse, tmp_path)
    parsed(_big("leaf0x:\n  password: s3cret\n"), parse, tmp_path)
    parsed(_big("leaf0x:\n  connection_options: {scrapli: {password: s3cret}}\n"), parse, tmp_path)
    # scrapli's other secrets, in a host's connection_options extras
    for key in ("auth_private_key_passphrase", "auth_password", "auth_secondary"):
        parsed(_big(f"leaf0x:\n  connection_options: {{scrapli: {{extras: {{{key}: s3cret}}}}}}\n"),
               parse, tmp_path)
    assert not list(tmp_path.iterdir())


def test_the_directories_it_makes_are_this_users_alone(tmp_path: Path) -> None:
    """`.nornir_evpn/` made for `.nornir_evpn/yaml-cache/` (the first command run in a
    project) was 0775 under umask 002: the twin's state, key and control socket go there."""
    old = os.umask(0o002)
    try:
        parsed(_big(), Counting(), tmp_path / ".nornir_evpn" / "yaml-cache")
    finally:
        os.umask(old)
    assert (tmp_path / ".nornir_evpn").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / ".nornir_evpn" / "yaml-cache").stat().st_mode & 0o777 == 0o700


def test_what_json_does_not_give_back_is_not_kept(tmp_path: Path) -> None:
    parse = Counting()
    for extra in ("leaf0x:\n  1: integer key\n", "leaf0x:\n  installed: 2024-01-01\n"):
        value = parsed(_big(extra), parse, tmp_path)
        assert parsed(_big(extra), parse, tmp_path) == value
    assert parse.calls == 4 and not list(tmp_path.iterdir())


def test_a_parse_error_is_not_kept(tmp_path: Path) -> None:
    parse = Counting()
    for _ in range(2):
        with pytest.raises(yaml.YAMLError):
            parsed(_big("leaf0x: [unclosed\n"), parse, tmp_path)
    assert parse.calls == 2


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners and modes")
def test_a_cache_entry_others_could_write_is_not_used(tmp_path: Path) -> None:
    """A forged entry (someone's write to a group-writable cache) must not become hosts."""
    parse = Counting()
    text = _big()
    parsed(text, parse, tmp_path)
    [kept] = tmp_path.glob("*.json")
    doc = json.loads(kept.read_text())
    doc["value"]["leaf7"]["hostname"] = "rogue.example"
    kept.write_text(json.dumps(doc))
    kept.chmod(0o620)
    assert parsed(text, parse, tmp_path)["leaf7"]["hostname"] == "10.0.0.7" and parse.calls == 2
    # an entry whose recorded hash is not its name's is not used either
    doc["sha256"] = "0" * 64
    kept.write_text(json.dumps(doc))
    kept.chmod(0o600)
    assert parsed(text, parse, tmp_path)["leaf7"]["hostname"] == "10.0.0.7" and parse.calls == 3


def test_an_unwritable_cache_directory_only_costs_the_parse(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    parse = Counting()
    assert parsed(_big(), parse, blocked / "cache")["leaf3"]["data"]["asn"] == 103
    assert parsed(_big(), parse, blocked / "cache") and parse.calls == 2


def test_the_oldest_parses_go_first(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(yaml_cache, "KEPT", 3)
    parse = Counting()
    for i in range(5):
        parsed(_big(f"leaf0x: {{n: {i}}}\n"), parse, tmp_path)
        os.utime(next(p for p in tmp_path.glob("*.json") if json.loads(p.read_text())["value"]["leaf0x"]["n"] == i),
                 (1000 + i, 1000 + i))
    assert sorted(json.loads(p.read_text())["value"]["leaf0x"]["n"] for p in tmp_path.glob("*.json")) == [2, 3, 4]


def test_an_inventory_reads_the_same_from_the_cache(tmp_path: Path, monkeypatch) -> None:
    from nornir_evpn.generate import generate_topology, write_topology
    from nornir_evpn.intent import derive_intent
    from nornir_evpn.inventory import build_inventory, load_inventory_docs, write_inventory
    from nornir_evpn.topology import load_topology

    monkeypatch.chdir(tmp_path)
    topo_file = write_topology(generate_topology(spines=2, leaves=16, mh_pairs=4), tmp_path / "fab.clab.yml")
    topology = load_topology(topo_file)
    write_inventory(build_inventory(topology, derive_intent(topology)), tmp_path / "inv")
    assert (tmp_path / "inv" / "hosts.yaml").stat().st_size >= MIN_BYTES
    first = load_inventory_docs(tmp_path / "inv")
    assert list((tmp_path / ".nornir_evpn" / "yaml-cache").glob("*.json"))
    assert load_inventory_docs(tmp_path / "inv") == first


def test_a_parse_used_again_is_kept_over_newer_unused_ones(tmp_path: Path, monkeypatch) -> None:
    """Pruned by last use, not by when it was written (regression tester)."""
    monkeypatch.setattr(yaml_cache, "KEPT", 2)
    parse = Counting()
    texts = [_big(f"leaf0x: {{n: {i}}}\n") for i in range(3)]
    parsed(texts[0], parse, tmp_path)
    os.utime(next(tmp_path.glob("*.json")), (1000, 1000))  # written long ago
    parsed(texts[1], parse, tmp_path)
    for entry in tmp_path.glob("*.json"):  # written since (file times are coarse: set them)
        if json.loads(entry.read_text())["value"]["leaf0x"]["n"] == 1:
            os.utime(entry, (2000, 2000))
    parsed(texts[0], parse, tmp_path)  # ...and used just now
    parsed(texts[2], parse, tmp_path)  # a third: one of the others goes
    assert parse.calls == 3  # texts[0] came from the cache
    kept = sorted(json.loads(p.read_text())["value"]["leaf0x"]["n"] for p in tmp_path.glob("*.json"))
    assert kept == [0, 2]
