"""SR Linux facts as data: prompts, candidate/commit commands, failure strings, show commands.

Imported by the tasks (client side) and by the twin (server side) so both agree on one
spelling of every command. No other module should contain a literal `commit now`.
"""

from __future__ import annotations

import re

PLATFORM = "nokia_srlinux"  # scrapli-community platform name

DEFAULT_USERNAME = "admin"
# containerlab's documented SR Linux default; the real value comes from NORNIR_EVPN_PASSWORD.
DEFAULT_PASSWORD_ENV = "NORNIR_EVPN_PASSWORD"
LAB_DEFAULT_PASSWORD = "NokiaSrl1!"

# --- CLI environment (scrapli's nokia_srlinux on_open sends these) -----------------------
ENV_CLI_ENGINE_BASIC = "environment cli-engine type basic"
ENV_NO_COMPLETE_ON_SPACE = "environment complete-on-space false"
# what nornir_evpn's on_open types at login, for its session only (never `environment save`):
# the CLI environment the tool relies on, whatever the account saved for itself
LOGIN_ENVIRONMENT = (ENV_CLI_ENGINE_BASIC, ENV_NO_COMPLETE_ON_SPACE)

# --- candidate datastore ------------------------------------------------------------------
ENTER_CANDIDATE_PRIVATE = "enter candidate private"
ENTER_CANDIDATE_EXCLUSIVE = "enter candidate exclusive"
DIFF = "diff"
DIFF_FLAT = "diff flat"
INFO_FLAT = "info flat"
COMMIT_NOW = "commit now"
COMMIT_VALIDATE = "commit validate"
SAVE_STARTUP = "save startup"  # running -> the startup config a reboot loads
DISCARD_NOW = "discard now"
# how SR Linux says a commit went through (`All changes have been committed. Leaving
# candidate mode.`, learn-srlinux l2evpn fabric.md; `Starting new transaction.` for commit
# stay): a commit answered without it is not taken for one (an answer cut short, a device
# saying `Commit aborted: ...` without an error marker)
COMMITTED = "All changes have been committed"


def commit_confirmed(timeout_s: int) -> str:
    """`commit confirmed` with an explicit rollback timer (seconds)."""
    return f"commit confirmed timeout {int(timeout_s)}"


# Accept/reject a pending `commit confirmed` (SR Linux Configuration Basics guide).
CONFIRMED_ACCEPT = "tools system configuration confirmed-accept"
CONFIRMED_REJECT = "tools system configuration confirmed-reject"
# what an accept/reject answers when no commit confirmed waits (its timer ran out)
NO_PENDING_CONFIRM = "no pending commit"
# /system/configuration/commit[id]/status is `unconfirmed` while a commit confirmed waits for
# its accept (srl_nokia-configuration)
COMMIT_STATE = "info from state system configuration commit | as json"

# Checkpoints (srl_nokia-tools-configuration): a named copy of the running configuration kept
# on the device (`/system configuration max-checkpoints`, default 10: the oldest goes first).
# `revert` loads one and commits it as one transaction. A name must not start with a digit
# (srl_nokia-common checkpoint-name).
CHECKPOINT_STATE = "info from state system configuration checkpoint | as json"
# a checkpoint name typed as it is: anything else (a space, `|`, `>`, `#`, a range's `{`/`[`)
# would be read by the CLI as more than the name, so it goes in double quotes
_PLAIN_WORD = re.compile(r"[A-Za-z0-9_.:@+=,/-]+")


def checkpoint_word(name: str) -> str:
    """`name` as one CLI word: itself when plain (configure's `nornir-evpn-<time>-<pid>`),
    else double-quoted (`"before maint"`: a checkpoint-name is any string not starting with
    a digit). A name holding a double quote or a backslash is refused (ValueError): how the
    CLI escapes them inside quotes is not known here, and a guess could type another name."""
    if _PLAIN_WORD.fullmatch(name):
        return name
    if '"' in name or "\\" in name:
        raise ValueError(f"checkpoint name {name!r} holds a double quote or a backslash: not typed")
    return f'"{name}"'


def generate_checkpoint(name: str, comment: str) -> str:
    return f'tools system configuration generate-checkpoint name {checkpoint_word(name)} comment "{comment}"'


def revert_checkpoint(name: str) -> str:
    return f"tools system configuration checkpoint {checkpoint_word(name)} revert"


def clear_checkpoint(name: str) -> str:
    return f"tools system configuration checkpoint {checkpoint_word(name)} clear"


def load_checkpoint(name: str) -> str:
    """In a candidate: replace it with the checkpoint's configuration (nothing committed), so
    `diff` shows what reverting to it would change."""
    return f"load checkpoint name {checkpoint_word(name)}"


# What a revert answers (SR Linux 25.x, containerlab lab):
#   /system/configuration/checkpoint[id=0]:
#       Reverting to checkpoint 0 (name 'before_x' comment 'this is a checkpoint before x')
#   /:
#       Successfully reverted configuration
# The `Reverting` line echoes the checkpoint's name and comment: an operator's words, which may
# say `MAJOR:` or `Error:`, not the device's.
REVERTING = "Reverting to checkpoint "
# the path line above it names the checkpoint too (the twin: by the key typed, a name
# such as `fix MAJOR: alarm`)
CHECKPOINT_PATH = "/system/configuration/checkpoint["


def revert_failed(answer: str) -> bool:
    """A revert's answer carries a failure marker outside the lines naming the checkpoint."""
    return has_failure_marker("\n".join(
        line for line in answer.splitlines() if not line.lstrip().startswith((REVERTING, CHECKPOINT_PATH))))


# --- failure detection ----------------------------------------------------------------------
# scrapli-community's platform only fails on MINOR/MAJOR/CRITICAL; SR Linux also prints
# "Error:" and "Parsing error:" for rejected input, which must fail the task.
# `interface lagN lag member-speed` values (SR Linux YANG)
MEMBER_SPEEDS = ("10M", "100M", "1G", "10G", "25G", "40G", "50G", "100G", "200G", "400G", "800G")

FAILED_WHEN_CONTAINS = ["Error:", "Parsing error", "MINOR:", "MAJOR:", "CRITICAL:"]
SHOW_FAILURE_HEAD = 2048  # characters of a `show` answer searched for the markers
# the markers in one pattern: a config load checks 40k answers at 128 leaves (full mesh)
_FAILED = re.compile("|".join(map(re.escape, FAILED_WHEN_CONTAINS)))


# What SR Linux answers a command the user's role does not authorize (`system configuration
# role <r> rule <path> action read|deny`): the `set` itself is refused, also in a candidate a
# read-only user may enter (learn-srlinux, RADIUS post: `Error: No authorization to execute
# command: '<command>'`; JSON-RPC's `set` says the same). An `Error:` line like any other.
NO_AUTHORIZATION = "No authorization to execute command"


def not_authorized(text: str) -> bool:
    """`text` is SR Linux refusing a command for the user's role, not for its content."""
    return NO_AUTHORIZATION in text


def has_failure_marker(text: str) -> bool:
    """`text` carries one of the failure markers (`Error:`, `MINOR:`, ...)."""
    return _FAILED.search(text) is not None


def show_failed(answer: str) -> bool:
    """A `show` that fails answers with the error alone (`Error: ...`, a line or two): the
    markers are looked for at its head only. Deeper in a long answer they are data (an
    interface description, a peer's last error), and a 128-leaf route table is 150 KB."""
    return has_failure_marker(answer[:SHOW_FAILURE_HEAD])

# --- prompts (same shape as scrapli-community's regexes) -------------------------------------
# one complete two-line prompt anywhere in a stream (scrapli's patterns are anchored to the end
# of the buffer); pipelined config loads count these to know every line was answered
ANY_PROMPT_PATTERN = rb"--\{[^\n]*\}--\[[^\n]*\]--[ \t]*\n[abcdABCD]:\S+#[ \t]?"
RUNNING_MODE = "running"
CANDIDATE_PRIVATE_MODE = "candidate private private-admin"


def prompt(hostname: str, mode: str = RUNNING_MODE, context: str = "", dirty: bool = False,
           *, unsaved: bool = False) -> str:
    """The two-line SR Linux prompt, e.g. `--{ + running }--[  ]--\\nA:leaf1# `: `+` once running
    differs from the startup config (any commit not saved), `*` while the candidate has changes."""
    flags = ("+" if unsaved else "") + ("*" if dirty else "")
    ctx = f" {context} " if context else "  "
    return f"--{{ {flags + ' ' if flags else ''}{mode} }}--[{ctx}]--\nA:{hostname}# "


# scrapli escalates to `configuration` with `enter candidate exclusive`; a private candidate
# lets several operators (and our parallel tasks) edit safely, so we override it.
SCRAPLI_PRIVATE_CANDIDATE_PRIV = {
    "pattern": r"^--{(\s\[[\w\s]+\]){0,5}[\+\*\!\s]{1,}candidate[\-\w\s]+}--\[.+?\]--\s*\n[abcd]:\S+#\s*$",
    "name": "configuration",
    "previous_priv": "exec",
    "deescalate": DISCARD_NOW,
    "escalate": ENTER_CANDIDATE_PRIVATE,
    "escalate_auth": False,
    "escalate_prompt": "",
}

# --- show commands the verify engine reads ------------------------------------------------------


def show_interface(name: str) -> str:
    return f"show interface {name}"


def show_lacp_state(lag: str) -> str:
    return f"show lag {lag} lacp-state"


def show_ethernet_segment(es: str) -> str:
    return f"show system network-instance ethernet-segments {es} detail"


SHOW_BGP_NEIGHBORS = "show network-instance default protocols bgp neighbor"


def show_advertised_evpn(peer: str) -> str:
    return f"show network-instance default protocols bgp neighbor {peer} advertised-routes evpn"


SHOW_EVPN_SUMMARY = "show network-instance default protocols bgp routes evpn route-type summary"


SHOW_VXLAN_BRIEF = "show tunnel-interface vxlan-interface brief"


def show_mac_table(mac_vrf: str) -> str:
    return f"show network-instance {mac_vrf} bridge-table mac-table all"


SHOW_VERSION = "show version"


def info_flat_running(path: str) -> str:
    """The running configuration under `path` as `set / ...` lines (`interface *`: every
    interface). SR Linux takes the format and the datastore in either order."""
    return f"info flat from running {path}"

# the first words of SR Linux's show commands (23.x/24.x CLI): the twin calls another first
# word a typo, and a command it does not model under one of these "not modelled"
SHOW_ROOTS = frozenset({
    "acl", "arpnd", "bfd", "interface", "lag", "network-instance", "platform", "qos",
    "routing-policy", "system", "tunnel", "tunnel-interface", "version",
})

# CE probe, Linux ping format (twin's simulated CE and `docker exec` on a real lab). `-W 1`:
# a target that does not answer costs a second after the last packet, not ping's default 10
def ping(ip: str, count: int, interval: float) -> str:
    return f"ping -c {int(count)} -i {interval:g} -W 1 {ip}"


# --- failover-test: one interface's admin state (sent in a private candidate) ------------------
def set_interface_admin_state(interface: str, enabled: bool) -> str:
    return f"set / interface {interface} admin-state {'enable' if enabled else 'disable'}"


def delete_interface_admin_state(interface: str) -> str:
    """The interface back to its default admin-state (`enable`), with no value of its own."""
    return f"delete / interface {interface} admin-state"


CE_SHELL_PROMPT_PATTERN = r"^[\w.@:~/-]*[#$]\s*$"  # `bash-5.0#` on the twin, root shells on a lab


# `diff flat` line prefixes: SR Linux prints `insert / <path>` for each node a candidate adds
# (a changed leaf included) and `delete / <path>` for each subtree it removes; `replace` is
# counted as an addition too, and `+`/`-` are the hierarchical `diff`'s spelling.
DIFF_ADDED = ("+", "insert ", "replace ")
DIFF_REMOVED = ("-", "delete ")


def count_diff(diff: str) -> tuple[int, int]:
    """(+ lines, - lines) of a `diff flat` (`DIFF_ADDED` / `DIFF_REMOVED`)."""
    lines = [line.lstrip() for line in diff.splitlines()]
    return (
        sum(1 for line in lines if line.startswith(DIFF_ADDED)),
        sum(1 for line in lines if line.startswith(DIFF_REMOVED)),
    )


# SR Linux's own bounds (YANG v23.7.1..v24.10.3; the twin, the intent and the generator all
# read them here): srl_nokia-common.yang typedef interface-all numbers LAGs lag1..lag1000 and
# an ethernet port's N in ethernet-<slot>/N from 1 to 128; an ethernet-segment's name (the
# ethernet-segments module, srl_nokia-comm:name) is 1..32 characters.
LAG_MAX = 1000
LAG_NAME = r"lag(?:[1-9]\d{0,2}|1000)"  # lag1..lag<LAG_MAX>, no leading zero
LAG_NAME_RE = re.compile(rf"{LAG_NAME}\Z")
ETHERNET_PORT_MAX = 128
ES_NAME_MAX = 32

# An interface name SR Linux accepts (interface-all, the forms this project meets):
# `Ethernet1/1` or `eth1` is refused at `set` time. The port alternatives spell 1..128.
INTERFACE_NAME_RE = re.compile(
    r"^(mgmt0|mgmt0-standby|system0|lo\d+|irb\d+|" + LAG_NAME
    + r"|ethernet-[1-9]\d?(/[abcd])?(/[1-9]\d?)?/([1-9]\d?|1[01]\d|12[0-8])|lif-\S+|vhn-\S+|enp\S+)$")
