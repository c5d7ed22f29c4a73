"""One SR Linux node's datastores: running, the shared candidate, locks, commit and rollback,
and the node's configuration checkpoints.

Sessions (cli_engine.CliSession) own their private candidates; everything that must be seen
by every session of a node lives here: the running tree, the exclusive lock, the pending
`commit confirmed` timer, the "reject next commit" fault and the commit hooks the fabric
model subscribes to.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import itertools
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from nornir_evpn import platform
from nornir_evpn.twin.config_tree import ConfigTree, natural_key
from nornir_evpn.twin.fabric_config import afi_states
from nornir_evpn.twin.latency import Latency
from nornir_evpn.validation import esi_refusal

log = logging.getLogger(__name__)

CommitHook = Callable[[str, ConfigTree], None]

ES_ROOT = ("system", "network-instance", "protocols", "evpn", "ethernet-segments", "bgp-instance")
BGP_VPN_ROOT = ("system", "network-instance", "protocols", "bgp-vpn", "bgp-instance")
FAULT_REJECT_MESSAGE = "commit rejected by twin fault injection"
MAX_CHECKPOINTS = 10  # /system configuration max-checkpoints, default (srl_nokia-configuration)


class CommitError(Exception):
    """The commit was refused; the message is printed after `Error: `."""


def validate(tree: ConfigTree) -> list[str]:
    """The commit-time checks SR Linux would fail on, as messages (empty when valid)."""
    errors: list[str] = []
    interfaces = set(tree.keys(("interface",)))
    esis: Counter[str] = Counter()
    # YANG: both lists { max-elements 1; } (srl_nokia-system-network-instance-bgp-vpn.yang,
    # ...-bgp-evpn-ethernet-segments.yang); ids 1..2
    for root, what in ((ES_ROOT, "ethernet-segments bgp-instance"), (BGP_VPN_ROOT, "bgp-vpn bgp-instance")):
        ids = tree.keys(root)
        if len(ids) > 1:
            errors.append(f"system network-instance protocols {what} has {len(ids)} entries "
                          f"({', '.join(ids)}); at most 1 is allowed")
    for bgp_inst in tree.keys(ES_ROOT):
        es_list = (*ES_ROOT, bgp_inst, "ethernet-segment")
        for es in tree.keys(es_list):
            es_ifs = tree.keys((*es_list, es, "interface"))
            if len(es_ifs) > 1:  # YANG: list interface { max-elements 1; } (a renamed LAG)
                errors.append(f"ethernet-segment {es}: interface has {len(es_ifs)} entries "
                              f"({', '.join(es_ifs)}); at most 1 is allowed")
            for ifname in es_ifs:
                if ifname not in interfaces:
                    errors.append(
                        f"ethernet-segment {es}: interface {ifname} does not exist "
                        f"(path /interface[name={ifname}] is not configured)"
                    )
            esi = tree.value((*es_list, es, "esi"))
            if esi:
                esis[esi] += 1
                refusal = esi_refusal(esi)
                if refusal == "reserved":
                    errors.append(f"ethernet-segment {es}: ESI-0 or MAX-ESI value {esi} is not allowed")
                elif refusal == "null-route-target":
                    errors.append(
                        f"ethernet-segment {es}: ESI {esi} with bytes 1-6 all zeros is not allowed"
                    )
    errors.extend(
        f"esi {esi} is configured on {n} ethernet-segments; an ESI must be unique"
        for esi, n in sorted(esis.items())
        if n > 1
    )
    owners: dict[str, list[str]] = {}
    for ni in tree.keys(("network-instance",)):
        for sub in tree.keys(("network-instance", ni, "interface")):
            owners.setdefault(sub, []).append(ni)
    errors.extend(
        f"subinterface {sub} is attached to more than one network-instance: {', '.join(nis)}"
        for sub, nis in sorted(owners.items(), key=lambda kv: natural_key(kv[0]))
        if len(nis) > 1 and not _irb_pair(tree, sub, nis)
    )
    # a network-instance's interface is a leafref to an existing subinterface
    for sub, nis in sorted(owners.items(), key=lambda kv: natural_key(kv[0])):
        port, _, index = sub.rpartition(".")
        if port and not tree.exists(("interface", port, "subinterface", index)):
            errors.extend(f"network-instance {ni}: interface {sub} refers to a subinterface that does "
                          "not exist" for ni in nis)
    errors.extend(_overlapping_subnets(tree, owners))
    errors.extend(_bgp_without_families(tree))
    for ni in tree.keys(("network-instance",)):
        vxs = tree.keys(("network-instance", ni, "vxlan-interface"))
        if len(vxs) > 1:  # YANG: list vxlan-interface { max-elements 1; }
            errors.append(f"network-instance {ni}: vxlan-interface has {len(vxs)} entries "
                          f"({', '.join(vxs)}); at most 1 is allowed")
        for inst in tree.keys(("network-instance", ni, "protocols", "bgp-evpn", "bgp-instance")):
            ev = ("network-instance", ni, "protocols", "bgp-evpn", "bgp-instance", inst)
            ref = tree.value((*ev, "vxlan-interface"))
            if ref and ref not in vxs:  # leafref ../../../../vxlan-interface/name
                errors.append(f"network-instance {ni}: bgp-evpn bgp-instance {inst} vxlan-interface {ref} "
                              "refers to a vxlan-interface the network-instance does not have")
            if tree.value((*ev, "evi")) is None:  # mandatory true
                errors.append(f"network-instance {ni}: bgp-evpn bgp-instance {inst}: missing mandatory evi")
    for ifname in tree.keys(("interface",)):
        lag = tree.value(("interface", ifname, "ethernet", "aggregate-id"))
        tagging = tree.value(("interface", ifname, "vlan-tagging"))
        if lag and lag not in interfaces:
            errors.append(f"interface {ifname}: aggregate-id {lag} refers to a lag that does not exist")
        # YANG `must` on aggregate-id: a LAG member carries no VLAN config of its own (an
        # access port re-cabled into a LAG keeps its vlan-tagging unless it is deleted)
        if lag and tagging is not None:
            errors.append(f"interface {ifname}: vlan-tagging and aggregate-id can not be configured together")
        # YANG `must` on each subinterface vlan encap (untagged, single-tagged vlan-id, ...;
        # srl_nokia-interfaces-vlans.yang): an access port half cleaned by hand
        if tagging != "true":
            errors.extend(
                f"interface {ifname} subinterface {sub}: {encap} only configurable if vlan-tagging "
                "enabled on parent interface"
                for sub in tree.keys(("interface", ifname, "subinterface"))
                for encap in tree.keys(("interface", ifname, "subinterface", sub, "vlan", "encap"))
            )
    return errors


def _families_enabled(tree: ConfigTree, *levels: tuple[str, ...]) -> bool:
    """Whether a session at `levels` (a neighbor, then its group, then the BGP instance)
    carries an address family: each family as the first level that sets its afi-safi
    admin-state says (`afi_states`, as the twin's model reads them)."""
    merged: dict[str, bool] = {}
    for level in reversed(levels):  # the nearer level overrides
        merged.update(afi_states(tree, level))
    return any(merged.values())


def _bgp_without_families(tree: ConfigTree) -> list[str]:
    """YANG `must` on the BGP instance's, a group's and a neighbor's admin-state
    (srl_nokia-bgp.yang): one that is enabled (the default) carries an address family, where
    the neighbor's afi-safi admin-state overrides its group's and the group's the BGP
    instance's. An overlay neighbor's `afi-safi evpn admin-state disable` alone is refused
    where its group disables ipv4-unicast, and so is deleting the `admin-state disable` that
    let it commit. Every afi-safi the tree names counts (l3vpn-*, labeled-unicast, ...: the
    YANG lists more families than the twin models)."""
    errors: list[str] = []
    refused = "admin-state: One of the address families must be enabled."
    for ni in tree.keys(("network-instance",)):
        bgp = ("network-instance", ni, "protocols", "bgp")
        if not tree.exists(bgp):
            continue
        if tree.value((*bgp, "admin-state")) != "disable" and not _families_enabled(tree, bgp):
            errors.append(f"network-instance {ni} protocols bgp {refused}")
        for g in tree.keys((*bgp, "group")):
            gp = (*bgp, "group", g)
            if tree.value((*gp, "admin-state")) != "disable" and not _families_enabled(tree, gp, bgp):
                errors.append(f"network-instance {ni} protocols bgp group {g} {refused}")
        for n in tree.keys((*bgp, "neighbor")):
            np_ = (*bgp, "neighbor", n)
            group = tree.value((*np_, "peer-group"))
            levels = (np_, (*bgp, "group", group), bgp) if group else (np_, bgp)
            if tree.value((*np_, "admin-state")) != "disable" and not _families_enabled(tree, *levels):
                errors.append(f"network-instance {ni} protocols bgp neighbor {n} {refused}")
    return errors


def _irb_pair(tree: ConfigTree, sub: str, nis: list[str]) -> bool:
    """An IRB subinterface in one mac-vrf and one ip-vrf: SR Linux's EVPN IRB design."""
    types = sorted(tree.value(("network-instance", ni, "type")) or "" for ni in nis)
    return sub.startswith("irb") and types == ["ip-vrf", "mac-vrf"]


def _overlapping_subnets(tree: ConfigTree, owners: dict[str, list[str]]) -> list[str]:
    """Subinterfaces of one network-instance whose IPv4 subnets overlap (the same /30 on two
    ports: what a renumbered node leaves behind)."""
    per_ni: dict[str, list[tuple[ipaddress.IPv4Network, str]]] = {}
    for sub, nis in owners.items():
        ifname, _, index = sub.rpartition(".")
        for prefix in tree.keys(("interface", ifname, "subinterface", index, "ipv4", "address")):
            try:
                net = ipaddress.IPv4Network(prefix, strict=False)
            except ValueError:
                continue
            for ni in nis:
                per_ni.setdefault(ni, []).append((net, sub))
    errors = []
    for ni, nets in sorted(per_ni.items()):
        nets.sort(key=lambda t: (t[0].network_address, t[0].prefixlen))
        for (a, sub_a), (b, sub_b) in itertools.pairwise(nets):
            if sub_a != sub_b and a.overlaps(b):
                errors.append(f"network-instance {ni}: subnet {b} of {sub_b} overlaps {a} of {sub_a}")
    return errors


def apply_changes(running: ConfigTree, base: ConfigTree, candidate: ConfigTree) -> ConfigTree:
    """Replay the candidate's own edits (base → candidate) onto `running`; a new tree."""
    if running == base:
        return candidate.copy()
    merged = running.copy()
    for path in _removed_roots(base, candidate, ()):
        merged.delete(path)
    base_paths = set(base.paths())
    for path in candidate.paths():
        if path not in base_paths:
            merged.set(path)
    return merged


def _removed_roots(
    old: ConfigTree, new: ConfigTree, prefix: tuple[str, ...]
) -> list[tuple[str, ...]]:
    """Top-most paths present in `old` and absent in `new`."""
    out: list[tuple[str, ...]] = []
    for token, child in old.children.items():
        other = new.children.get(token)
        if other is None:
            out.append((*prefix, token))
        elif child != other:
            out.extend(_removed_roots(child, other, (*prefix, token)))
    return out


@dataclass
class Checkpoint:
    """A named copy of the running configuration (`generate-checkpoint`)."""

    name: str
    comment: str
    config: ConfigTree
    created: str
    username: str


@dataclass
class _PendingConfirm:
    rollback_to: ConfigTree
    timer: asyncio.TimerHandle | None
    commit_id: int = 0


@dataclass
class NodeDatastore:
    """Datastores of one node, shared by all its CLI sessions."""

    name: str
    running: ConfigTree = field(default_factory=ConfigTree)
    latency: Latency = field(default_factory=Latency)
    reject_next_commit: bool = False
    # the session's user may read only (`twin fault read-only`): see cli_engine.NO_AUTHORIZATION
    read_only: bool = False
    # the prompt the user's saved CLI environment sets (`environment prompt VALUE` saved with
    # `environment save home` into ~/.srlinuxrc, loaded at every login; `twin fault
    # saved-prompt`): None, SR Linux's default prompt. See cli_engine.render_prompt
    saved_prompt: str | None = None
    hooks: list[CommitHook] = field(default_factory=list)
    # Shared candidate (`enter candidate` / `enter candidate shared`) and the running it
    # was forked from.
    shared: ConfigTree | None = None
    shared_base: ConfigTree | None = None
    exclusive_owner: object | None = None
    pending: _PendingConfirm | None = None
    # /system/configuration/commit state: (id, status) of the last commits, newest last
    commits: list[tuple[int, str | None]] = field(default_factory=list)
    last_commit_id: int = 0  # the system's commit ids are never reused, a rolled-back one neither
    # running differs from the startup config the node booted from or last saved (SR Linux's
    # `+` in the prompt): set by a commit that changes running, cleared by a save
    unsaved: bool = False
    # the configuration checkpoints, newest first: its index is the checkpoint's id (SR Linux
    # renumbers them, the newest being checkpoint-0.json)
    checkpoints: list[Checkpoint] = field(default_factory=list)

    # -- hooks ----------------------------------------------------------------------------
    def add_commit_hook(self, hook: CommitHook) -> None:
        self.hooks.append(hook)

    def _notify(self) -> None:
        for hook in list(self.hooks):
            try:
                hook(self.name, self.running)
            except Exception:  # a broken subscriber must not break the CLI session
                log.exception("commit hook failed on %s", self.name)

    # -- commit ---------------------------------------------------------------------------
    def check(
        self, base: ConfigTree, candidate: ConfigTree, *, consume_fault: bool = True
    ) -> ConfigTree:
        """The running tree this commit would produce; raises CommitError if invalid."""
        if self.reject_next_commit and consume_fault:
            self.reject_next_commit = False
            raise CommitError(FAULT_REJECT_MESSAGE)
        merged = apply_changes(self.running, base, candidate)
        errors = validate(merged)
        if errors:
            raise CommitError("; ".join(errors))
        return merged

    def commit(
        self, base: ConfigTree, candidate: ConfigTree, confirm_timeout: float | None = None
    ) -> None:
        """Validate and apply; with `confirm_timeout` roll back unless accepted in time."""
        if self.pending is not None:
            raise CommitError(
                "a commit confirmed is pending: accept or reject it first "
                "(tools system configuration confirmed-accept|confirmed-reject)"
            )
        merged = self.check(base, candidate)
        previous = self.running
        self.running = merged
        self.unsaved = self.unsaved or merged != previous
        self.last_commit_id += 1
        commit_id = self.last_commit_id
        self.commits = [*self.commits[-9:], (commit_id, "complete" if confirm_timeout is None else "unconfirmed")]
        if confirm_timeout is not None:
            timer = asyncio.get_running_loop().call_later(confirm_timeout, self._timeout)
            self.pending = _PendingConfirm(previous, timer, commit_id)
        if self.shared is not None and candidate is not self.shared:
            # the shared candidate now trails running; SR Linux rebases it on commit
            self.shared = apply_changes(merged, self.shared_base or ConfigTree(), self.shared)
            self.shared_base = merged.copy()
        self._notify()

    def confirm_accept(self) -> None:
        if self.pending is None:
            raise CommitError(f"there is {platform.NO_PENDING_CONFIRM} confirmed to accept")
        if self.pending.timer is not None:
            self.pending.timer.cancel()
        self._settle("complete")
        self.pending = None

    def confirm_reject(self) -> None:
        if self.pending is None:
            raise CommitError(f"there is {platform.NO_PENDING_CONFIRM} confirmed to reject")
        self._rollback()

    def _timeout(self) -> None:
        log.info("commit confirmed timer expired on %s: rolling back", self.name)
        self._rollback()

    def _rollback(self) -> None:
        assert self.pending is not None
        if self.pending.timer is not None:
            self.pending.timer.cancel()
        self.running = self.pending.rollback_to
        self.unsaved = True
        self._settle(None)  # rolled back: no longer a commit of this configuration
        self.pending = None
        self._notify()

    def _settle(self, status: str | None) -> None:
        """The pending commit's entry takes `status`; None (rolled back) drops it."""
        assert self.pending is not None
        pending = self.pending.commit_id
        if status is None:
            self.commits = [(i, s) for i, s in self.commits if i != pending]
        else:
            self.commits = [(i, status if i == pending else s) for i, s in self.commits]

    def save(self) -> None:
        """`save startup`, `commit save`: running becomes the startup config."""
        self.unsaved = False

    def commit_state(self) -> dict[str, object]:
        """`info from state system configuration commit | as json`: the last commits, a
        commit confirmed not yet accepted with status `unconfirmed` (SR Linux's enum)."""
        return {"commit": [{"id": i, "type": "private", "status": s} for i, s in self.commits]}

    # -- checkpoints ----------------------------------------------------------------------
    def generate_checkpoint(self, name: str | None, comment: str, username: str) -> str:
        """`tools system configuration generate-checkpoint`: running, kept under `name`
        (default `checkpoint-<time>`); the oldest goes beyond MAX_CHECKPOINTS. Returns the
        device's answer."""
        created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        name = f"checkpoint-{created}" if name is None else name
        if not name or name[0].isdigit():
            raise CommitError(f"checkpoint name '{name}': Name cannot start with number")
        if any(c.name == name for c in self.checkpoints):
            raise CommitError(f"a checkpoint named '{name}' exists already")
        self.checkpoints = [Checkpoint(name, comment, self.running.copy(), created, username),
                            *self.checkpoints][:MAX_CHECKPOINTS]
        # the wording containerlab's `save` transcript shows for the checkpoint a save generates
        return ("/system:\n    Generated checkpoint '/etc/opt/srlinux/checkpoint/checkpoint-0.json' "
                f"with name '{name}' and comment '{comment}'")

    def checkpoint(self, ref: str) -> Checkpoint:
        """A checkpoint by its id or its name (the YANG key is a union of both)."""
        for i, cp in enumerate(self.checkpoints):
            if ref == cp.name or ref == str(i):
                return cp
        raise CommitError(f"checkpoint '{ref}' does not exist")

    def revert_checkpoint(self, ref: str) -> str:
        """`tools system configuration checkpoint <ref> revert`: load it and commit, one
        transaction (validated like any commit; refused while a commit confirmed waits).
        Returns the device's answer: SR Linux 25.x's wording (a containerlab lab's transcript:
        `[id=0]`, `Reverting to checkpoint 0`: the checkpoint's id, however it was named)."""
        cp = self.checkpoint(ref)
        cp_id = self.checkpoints.index(cp)  # (before the revert's commit: its id as typed)
        self.commit(self.running, cp.config.copy())
        return (f"/system/configuration/checkpoint[id={cp_id}]:\n"
                f"    {platform.REVERTING}{cp_id} (name '{cp.name}' comment '{cp.comment}')\n\n"
                "/:\n    Successfully reverted configuration")

    def clear_checkpoint(self, ref: str) -> None:
        cp = self.checkpoint(ref)
        self.checkpoints = [c for c in self.checkpoints if c is not cp]

    def checkpoint_state(self) -> dict[str, object]:
        """`info from state system configuration checkpoint | as json`."""
        return {"checkpoint": [
            {"id": i, "name": c.name, "comment": c.comment, "created": c.created, "username": c.username}
            for i, c in enumerate(self.checkpoints)]}

    # -- shared candidate -------------------------------------------------------------------
    def shared_candidate(self) -> tuple[ConfigTree, ConfigTree]:
        """(base, candidate) of the shared candidate, created from running on first use."""
        if self.shared is None or self.shared_base is None:
            self.shared_base = self.running.copy()
            self.shared = self.running.copy()
        return self.shared_base, self.shared

    def drop_shared(self) -> None:
        self.shared = None
        self.shared_base = None
