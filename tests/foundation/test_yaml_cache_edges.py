"""Edges of the YAML parse cache (nornir_evpn.yaml_cache) that mutation testing found
unpinned (mut15): a secret copied into `.nornir_evpn/yaml-cache/`, a damaged or foreign
cache file breaking every command, or a cache of another format used as this one's."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from nornir_evpn.yaml_cache import MIN_BYTES, parsed


def _big(extra: str = "") -> str:
    rows = "".join(f"leaf{i}:\n  hostname: 10.0.0.{i % 250}\n  data: {{asn: {100 + i}}}\n"
                   for i in range(MIN_BYTES // 36))
    return rows + extra


def _path(directory: Path, text: str) -> Path:
    return directory / f"{hashlib.sha256(text.encode()).hexdigest()}.json"


@pytest.mark.parametrize("extra", [
    "leaf0x:\n  Password: s3cret\n",  # a key's case does not make it less of a secret
    "leaf0x:\n  data: {api_token: s3cret}\n",
    # a secret inside a list (a list of credentials in a host's data)
    "leaf0x:\n  data: {accounts: [{user: admin, password: s3cret}]}\n",
])
def test_a_secret_anywhere_is_never_kept(tmp_path: Path, extra: str) -> None:
    text = _big(extra)
    assert parsed(text, yaml.safe_load, tmp_path)["leaf0x"]
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("damage", ["{\"format\": 1, \"sha256\": ", "\xff\xfe not json", "[1, 2]"])
def test_a_damaged_cache_file_is_parsed_again_not_an_error(tmp_path: Path, damage: str) -> None:
    """A cut or foreign file under the text's name: the command goes on with a fresh parse."""
    text = _big()
    path = _path(tmp_path, text)
    path.write_bytes(damage.encode("latin-1"))
    path.chmod(0o600)
    assert parsed(text, yaml.safe_load, tmp_path)["leaf7"]["data"]["asn"] == 107


def test_a_cache_of_another_format_is_not_used(tmp_path: Path) -> None:
    text = _big()
    path = _path(tmp_path, text)
    key = path.stem
    path.write_text(json.dumps({"format": 2, "sha256": key, "value": {"leaf7": "from another format"}}))
    path.chmod(0o600)
    assert parsed(text, yaml.safe_load, tmp_path)["leaf7"]["data"]["asn"] == 107
