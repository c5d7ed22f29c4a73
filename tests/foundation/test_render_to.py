"""`configure --render-to DIR`: the configurations a GitOps review reads, no host connected to
(the packaged inventory's hosts, clab-evpn-mh01-*, resolve nowhere here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nornir_evpn.cli import main
from nornir_evpn.render import FEATURES, Renderer

INVENTORY = Path(__file__).resolve().parents[2] / "inventory"


def _configure(capsys, *argv: str) -> tuple[int, dict, str]:
    capsys.readouterr()
    code = main(["configure", "--inventory", str(INVENTORY), "--json", *argv])
    out = capsys.readouterr()
    return code, json.loads(out.out) if out.out.strip() else {}, out.err


def test_each_host_s_configuration_is_written_without_connecting(tmp_path, capsys) -> None:
    """A CI job with no lab and no twin had no way to see what a merge request configures
    (GitOps tester): --dry-run and --validate-only both log in."""
    from nornir_evpn.inventory import fabric_from_docs, host_node, load_inventory_docs

    out = tmp_path / "rendered"
    code, doc, _ = _configure(capsys, "--render-to", str(out))
    assert code == 0 and doc["ok"] is True and doc["mode"] == "render"
    # the keys a script reads of every configure document are there (nothing committed, saved)
    assert (doc["checkpoint"], doc["save"], doc["all_or_nothing"], doc["interrupted"]) == (None, False, False, None)
    assert sorted(p.name for p in out.iterdir()) == ["leaf1.cfg", "leaf2.cfg", "leaf3.cfg", "spine1.cfg"]
    docs = load_inventory_docs(INVENTORY)
    fabric = fabric_from_docs(docs)
    rendered = Renderer().render(host_node(_host(docs, "leaf1")), fabric, FEATURES)
    lines = [line for feature in rendered.values() for line in feature]
    assert (out / "leaf1.cfg").read_text().splitlines() == lines
    assert doc["hosts"]["leaf1"] == {"ok": True, "changed": False, "error": None, "lines": len(lines),
                                     "file": str(out / "leaf1.cfg")}
    # a second run writes the same bytes (a review diffs two commits' files)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert _configure(capsys, "--render-to", str(out))[0] == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def _host(docs: dict, name: str):  # a Nornir-like host for host_node: name, data, groups
    from nornir.core.inventory import Host

    return Host(name=name, data=docs["hosts"][name].get("data") or {})


@pytest.mark.parametrize("option", [["--dry-run"], ["--validate-only"], ["--save"], ["--prune"],
                                    ["--all-or-nothing"], ["--commit-confirmed", "30"],
                                    ["--exit-code"], ["--no-checkpoint"], ["--batch-lines", "1"],
                                    ["--twin"]])
def test_an_option_that_needs_a_device_is_refused(tmp_path, capsys, option) -> None:
    code, doc, err = _configure(capsys, "--render-to", str(tmp_path / "r"), *option)
    assert code == 2 and doc["ok"] is False
    assert f"--render-to connects to no host: {option[0]} needs one" in err
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


def test_a_selection_writes_its_hosts_and_a_file_for_no_host_is_named_not_deleted(tmp_path, capsys) -> None:
    out = tmp_path / "r"
    out.mkdir()
    (out / "leaf9.cfg").write_text("set / system name host-name old\n")
    code, doc, _ = _configure(capsys, "--render-to", str(out), "--hosts", "leaf1")
    assert code == 0 and list(doc["hosts"]) == ["leaf1"] and doc["notes"] == []
    code, doc, _ = _configure(capsys, "--render-to", str(out))
    assert code == 0 and (out / "leaf9.cfg").exists()
    assert doc["notes"] == [f"--render-to {out}: leaf9.cfg is for no host of the inventory (left as found: "
                            "delete what was rendered for hosts taken out)"]


def test_files_for_no_host_are_named_in_natural_order_and_a_ce_s_is_not_one(tmp_path, capsys) -> None:
    """leaf9 before leaf10, as everywhere else; a file named for a CE (rendered by no
    configure, but a host of the inventory) is not said to be for a host taken out."""
    out = tmp_path / "r"
    out.mkdir()
    for name in ("leaf10", "leaf9", "ce1"):
        (out / f"{name}.cfg").write_text("# the user's\n")
    code, doc, _ = _configure(capsys, "--render-to", str(out))
    assert code == 0 and doc["notes"] == [f"--render-to {out}: leaf9.cfg, leaf10.cfg are for no host of the "
                                          "inventory (left as found: delete what was rendered for hosts taken out)"]


def test_each_file_ends_its_last_line_and_the_hosts_come_in_natural_order(tmp_path, capsys) -> None:
    """A file whose last line has no newline diffs as `\\ No newline at end of file`; leaf10
    after leaf9 in the document and the table, as every other report orders hosts."""
    from nornir_evpn.commands.inventory import run as write_inventory
    from nornir_evpn.generate import generate_topology, write_topology

    topology = write_topology(generate_topology(1, 10, 1), tmp_path / "t.clab.yml")
    import argparse

    assert write_inventory(argparse.Namespace(topology=topology, out=tmp_path / "inv", overlay=None)) == 0
    capsys.readouterr()
    out = tmp_path / "r"
    code = main(["configure", "--inventory", str(tmp_path / "inv"), "--json", "--render-to", str(out)])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and list(doc["hosts"]) == [*(f"leaf{i}" for i in range(1, 11)), "spine1"]
    text = (out / "leaf10.cfg").read_text()
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_a_file_given_as_the_directory_is_refused_as_such(tmp_path, capsys) -> None:
    (tmp_path / "r").write_text("x\n")
    code, _, err = _configure(capsys, "--render-to", str(tmp_path / "r"))
    assert code == 2 and f"--render-to {tmp_path / 'r'}: is a file, expected a directory" in err


def test_a_template_that_does_not_render_writes_nothing(tmp_path, capsys) -> None:
    templates = tmp_path / "t"
    templates.mkdir()
    for feature in FEATURES:
        (templates / f"{feature}.j2").write_text("set / {{ nope.missing }}\n")
    code, _, err = _configure(capsys, "--render-to", str(tmp_path / "r"), "--templates", str(templates))
    assert code == 2 and "underlay.j2:1: 'nope' is undefined" in err
    assert not list((tmp_path / "r").glob("*.cfg"))


def test_a_directory_that_cannot_be_written_is_named_itself(tmp_path, capsys, monkeypatch) -> None:
    """The refusal named a probe file of ours (`DIR/.nornir-evpn-write-test: cannot write`)
    where the directory is what the user gave and has to fix."""
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    out = tmp_path / "r"
    code, doc, err = _configure(capsys, "--render-to", str(out))
    assert code == 2 and doc["ok"] is False
    assert f"--render-to {out}: directory is not writable: Permission denied" in err
    assert ".nornir-evpn-write-test" not in err


@pytest.mark.parametrize("command, option", [(["configure"], "--render-to"), (["verify"], "--outputs")])
def test_a_run_refused_after_its_directory_was_made_leaves_none(tmp_path, capsys, command, option) -> None:
    """`--render-to DIR --hosts nope` (or verify's `--outputs DIR`) is refused, exit 2, and
    left DIR made and empty: a run that touched nothing. One DIR that was there stays."""
    out = tmp_path / "made" / "here"
    capsys.readouterr()
    assert main([*command, "--inventory", str(INVENTORY), option, str(out), "--hosts", "nope"]) == 2
    assert not out.parent.exists()  # nor the parent it made for it
    out.mkdir(parents=True)
    assert main([*command, "--inventory", str(INVENTORY), option, str(out), "--hosts", "nope"]) == 2
    assert out.is_dir()
