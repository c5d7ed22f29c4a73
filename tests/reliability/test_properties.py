"""Property tests: config render -> CLI paste, wrapped show tables, and the topology parser's
error contract. Kept small (modest max_examples, no deadline) so they run in seconds."""

from __future__ import annotations

import string
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nornir_evpn.errors import TopologyError
from nornir_evpn.parsers.tables import clean_lines, iter_tables, norm
from nornir_evpn.topology import load_topology
from nornir_evpn.twin.cli_engine import CliSession
from nornir_evpn.twin.config_tree import ConfigTree, parse_flat
from nornir_evpn.twin.datastore import NodeDatastore
from nornir_evpn.twin.show_table import render_table

# -- hierarchical render -> paste into the CLI engine -> the same tree ---------------------------
# (tests/twin/test_config_tree.py covers the flat form; this is the brace form an operator pastes)

_CONFIGS = Path(__file__).resolve().parents[2] / "inventory" / "configs"
_REAL_PATHS = sorted({p for f in sorted(_CONFIGS.glob("*.cfg"))
                      for p in parse_flat(f.read_text()).paths()})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_REAL_PATHS), min_size=1, max_size=25))
def test_rendered_config_pasted_into_a_candidate_is_the_same_tree(paths):
    tree = ConfigTree()
    for p in paths:
        tree.set(p)
    session = CliSession(NodeDatastore("leaf1"))
    assert session.execute("enter candidate private") == ""
    for line in tree.render().splitlines():
        out = session.execute(line)
        assert "Error" not in out, (line, out)
    assert session.candidate == tree, tree.render()


# -- wrapped show tables: the twin renders, the parser reads back -------------------------------

def _octets(n: int) -> st.SearchStrategy[str]:
    return st.lists(st.integers(0, 255), min_size=n, max_size=n).map(
        lambda o: ":".join(f"{b:02X}" for b in o))


# the value shapes SR Linux tables hold (free-form words with a non-word character before a
# hyphen wrap ambiguously, e.g. `0/0A-0A` -> `0` + `/0A-`; real cells never look like that)
_WORD = st.one_of(
    # SR Linux's hyphen rule needs two letters before a hyphen: `A-AA` wraps as `A` + `-AA`
    st.from_regex(r"[A-Za-z][A-Za-z_]{1,7}(-[A-Za-z][A-Za-z_]{1,7}){0,3}", fullmatch=True),
    st.ip_addresses(v=4).map(str),
    st.tuples(st.ip_addresses(v=4), st.integers(0, 32)).map(lambda t: f"{t[0]}/{t[1]}"),
    _octets(6), _octets(10),
    st.integers(0, 4294967295).map(str),
    st.integers(1, 128).map(lambda n: f"ethernet-1/{n}"),
    st.sampled_from(["lag1", "vxlan1.1", "mac-vrf-1", "IN_SYNC/True/True/True",
                     "target:100:111", "10.0.0.1:0", "up", "established", "-"]),
)


@st.composite
def _tables(draw):  # type: ignore[no-untyped-def]
    ncols = draw(st.integers(1, 6))
    headers = draw(st.lists(st.text(alphabet=string.ascii_letters, min_size=1, max_size=14),
                            min_size=ncols, max_size=ncols, unique_by=norm))
    rows = draw(st.lists(st.tuples(*[_WORD] * ncols).map(list), min_size=1, max_size=6))
    # the key (first) column never wraps in SR Linux output: a wrapped first cell would look
    # like a new record to any parser (see the report: known limitation of parsers/tables.py);
    # so the first column is sized to its longest key (drawn, not filtered: see _NAME)
    room = max(len(r[0]) for r in rows) + 2
    widths = [draw(st.integers(max(5, room), max(24, room))),
              *draw(st.lists(st.integers(5, 24), min_size=ncols - 1, max_size=ncols - 1))]
    return headers, widths, rows


@settings(max_examples=100, deadline=None)
@given(_tables())
def test_wrapped_table_cells_round_trip(table):
    headers, widths, rows = table
    text = "\n".join(render_table(headers, widths, rows))
    tables = list(iter_tables(clean_lines(text)))
    assert len(tables) == 1
    parsed = tables[0]
    assert [norm(h) for h in parsed.headers] == [norm(h) for h in headers]
    assert parsed.records == [dict(zip(parsed.column_keys(), row, strict=True)) for row in rows]


_SENTENCE = st.lists(_WORD, min_size=1, max_size=5).map(" ".join)
# first-column values that fit its 12 characters; drawn directly, since filtering _WORD by
# length discards so many inputs that Hypothesis' health check fails at random
_NAME = st.one_of(
    st.from_regex(r"[A-Za-z][A-Za-z_]{1,3}(-[A-Za-z][A-Za-z_]{1,3})?", fullmatch=True),
    st.integers(0, 999999999).map(str),
    st.sampled_from(["lag1", "vxlan1.1", "mac-vrf-1", "10.0.0.1:0", "up", "-"]),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_NAME, _SENTENCE), min_size=1,
                max_size=4), st.integers(6, 20))
def test_wrapped_multi_word_cells_keep_every_character(rows, width):
    """With spaces a wrap point is ambiguous (SR Linux drops the space); nothing else is lost."""
    text = "\n".join(render_table(["Name", "Description"], [12, width], rows))
    records = next(iter_tables(clean_lines(text))).records
    assert [[r["name"].replace(" ", ""), r["description"].replace(" ", "")] for r in records] == [
        [a.replace(" ", ""), b.replace(" ", "")] for a, b in rows]


# -- the topology parser raises only its own error type -----------------------------------------

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 300), st.text(max_size=12),
                     st.sampled_from(["srl", "linux", "nokia_srlinux", "leaf1:e1-1", "e1-49",
                                      "ce1:eth1", "spine1:e1-1", "leaf1", "configs/leaf1.cfg"]))
_ANY = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20)
_NODE = st.fixed_dictionaries({}, optional={
    "kind": st.sampled_from(["srl", "linux", "nokia_srlinux", "ceos", 3, None]),
    "startup-config": _SCALARS, "exec": _ANY, "labels": _ANY, "binds": _ANY, "type": _SCALARS})
_TOPO = st.fixed_dictionaries({}, optional={
    "name": _SCALARS,
    "topology": st.one_of(_ANY, st.fixed_dictionaries({}, optional={
        "nodes": st.one_of(_ANY, st.dictionaries(
            st.sampled_from(["leaf1", "leaf2", "spine1", "ce1", "a;b", ""]), _NODE, max_size=4)),
        "links": st.one_of(_ANY, st.lists(st.fixed_dictionaries({}, optional={
            "endpoints": st.one_of(_ANY, st.lists(st.sampled_from(
                ["leaf1:e1-1", "leaf2:e1-49", "spine1:e1-1", "ce1:eth1", "ce1:eth2",
                 "leaf1:e1-1a", "x", ":", "leaf2:ethernet-1/2"]), max_size=3))}), max_size=4)),
    })),
    "mgmt": _ANY,
})


def _load(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.clab.yml"
        path.write_text(text)
        try:
            topo = load_topology(path)
        except TopologyError as exc:
            assert "\n" not in str(exc).strip(), str(exc)
        else:
            assert topo.nodes is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TOPO)
def test_topology_shaped_data_raises_only_topology_error(doc):
    _load(yaml.safe_dump(doc))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=string.printable + "äß\u2028", max_size=200))
def test_arbitrary_text_raises_only_topology_error(text):
    _load(text)
