"""SR Linux CLI as a line-in/text-out engine: modes, prompts, contexts, candidates, commits.

No sockets here: the SSH server (server.py) feeds one `handle_line` per Enter and writes
what comes back. `show` and `info from state` are delegated to a `ShowProvider` (the fabric
model implements it); configuration lives in the node's `NodeDatastore`.
"""

from __future__ import annotations

import json
from typing import Any, Protocol, runtime_checkable

from nornir_evpn import platform
from nornir_evpn.twin.config_tree import CONTAINERS, ConfigTree, learn_leaf_list, roles, tokenize
from nornir_evpn.twin.datastore import CommitError, NodeDatastore
from nornir_evpn.twin.latency import Pacer
from nornir_evpn.twin.leaf_values import key_error, leaf_error
from nornir_evpn.twin.releases import DEFAULT_RELEASE, RELEASES, at_least
from nornir_evpn.twin.show_table import TERMINAL_COLUMNS

# SR Linux top-level configuration nodes: a candidate line starting elsewhere is a typo.
TOP_LEVEL = (
    "acl",
    "bfd",
    "interface",
    "network-instance",
    "platform",
    "qos",
    "routing-policy",
    "system",
    "tunnel",
    "tunnel-interface",
)
DEFAULT_CONFIRM_TIMEOUT_S = 600  # SR Linux's default commit confirmed window
# commands that never change a candidate (the prompt's `*` stays what it was)
_READS = frozenset({"environment", "show", "/show", "help", "info", "diff", "pwc"})

MSG_COMMITTED_LEAVING = "All changes have been committed. Leaving candidate mode."
MSG_COMMITTED_STAYING = "All changes have been committed. Starting new transaction."
MSG_VALIDATED = "All changes have been validated. No errors found."
MSG_SAVED = "Saved current running configuration as initial (startup) configuration '/etc/opt/srlinux/config.json'"
MSG_DISCARDED_LEAVING = "All changes have been discarded. Leaving candidate mode."
MSG_DISCARDED_STAYING = "All changes have been discarded. Starting new transaction."
# A user whose role may only read (`system configuration role viewer rule / action read`,
# srl_nokia-configuration-role: `read` = "This path may be read by the role"): SR Linux lets
# it `enter candidate`, `info` and `show`, and refuses the `set` itself (learn-srlinux, "User
# Authentication and Authorization with RADIUS on SR Linux", user bob):
#   A:srl# set / system information contact bob@clab
#   Error: No authorization to execute command: 'delete / system information contact alice@clab'
# (the device quotes the operation it was refused, there the delete of the leaf's old value;
# the twin quotes the line typed). JSON-RPC's `set` is refused in the same words. A `tools`
# command (a checkpoint, a revert, a confirmed-accept), a `load` into the candidate and `save`
# write too and are refused likewise here; their wording on a device was not seen.
NO_AUTHORIZATION = "Error: No authorization to execute command: '{}'"
_WRITES = frozenset({"set", "delete", "tools", "load", "save"})
BANNER = (
    "Welcome to the srlinux CLI.\n"
    "Type 'help' (and press <ENTER>) if you need any help using this.\n"
)
# what the CLI prints before its banner when it loads the user's saved environment (SR Linux
# 21.x-24.x logins in public transcripts: `Using configuration file(s): ['/home/admin/.srlinuxrc']`)
LOADED_ENVIRONMENT = "Using configuration file(s): ['/home/{}/.srlinuxrc']\n"

# `environment prompt VALUE`: the prompt is a template whose keywords (`{host}`, `{pwc}`, ...)
# the CLI fills in before every input line; `\n` is a newline, `{{`/`}}` a literal brace
# (srl_nokia-system-cli.yang, leaf `prompt`, SR Linux 25.10; its default there is
# `\n--{{ {modified_flags}{short_yang_models}{mode_and_session} }}--[ {pwc} ]--\n
# {short_redundancy}{hw_slot}:{aaa_user}@{host}# `). The keywords the twin fills in; any other
# is left as typed.
PROMPT_KEYWORDS = ("aaa_user", "banner", "host", "hw_slot", "mode", "mode_and_session", "modified",
                   "modified_flags", "pwc", "short_redundancy", "short_yang_models",
                   "startup_config_state", "user")


class _Keywords(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render_prompt(template: str, values: dict[str, str]) -> str:
    """`template` (an `environment prompt` value) with its keywords filled in from `values`."""
    text = template.replace("\\n", "\n")
    try:
        return text.format_map(_Keywords(values))
    except (ValueError, IndexError, AttributeError, KeyError):  # a lone brace: shown as typed
        return text


HELP = """This is the nornir_evpn digital twin of an SR Linux node: it answers what the tool sends.
  enter candidate [private|exclusive|shared], enter running, set / ..., delete / ...,
  load checkpoint id|name CHECKPOINT,
  diff [flat], commit now|stay|save|validate|confirmed, discard now, save startup, info [flat|detail] [from running|state] ...,
  exit [all], quit
  show version
  show interface [NAME]
  show lag LAG lacp-state
  show system network-instance ethernet-segments [ES] [detail]
  show network-instance default protocols bgp neighbor [PEER [advertised-routes|received-routes evpn]]
  show network-instance default protocols bgp routes evpn route-type summary
  show network-instance MAC-VRF bridge-table mac-table all
  show tunnel-interface vxlan-interface brief"""


class UnknownCommand(Exception):
    """A ShowProvider does not know this command or state path; `word` is the first word of
    it that is unknown, when one is (None: the command is known but not modelled)."""

    def __init__(self, what: str, word: str | None = None) -> None:
        super().__init__(what)
        self.word = word


class NoSuchEntry(UnknownCommand):
    """A ShowProvider knows the command; the entry it names is not configured on the node
    (a deleted ES, a neighbor taken out): the device says so, not "not modelled"."""


def unknown_word(words: list[str]) -> str | None:
    """The first of `words` (after `show`) when SR Linux has no show command starting with it
    (a typo); None when it has one, modelled or not: a word further on may be valid on the
    device while the twin does not know it."""
    return words[0] if words and words[0] not in platform.SHOW_ROOTS else None


class ShowProvider(Protocol):
    def show(self, node: str, command: str) -> str:
        """Output of a full `show ...` line; raise UnknownCommand for unknown commands."""
        ...

    def state(self, node: str, path: str, as_json: bool) -> str:
        """Output of `info from state <path>`; raise UnknownCommand for unknown paths."""
        ...


@runtime_checkable
class SessionEngine(Protocol):
    """What the SSH server drives: one per session. Optional: `close()` (lock release) and
    `async settle()` (awaited before answers are written, for a latency model)."""

    closed: bool

    async def banner_and_prompt(self) -> str: ...

    async def handle_line(self, line: str, received_at: float | None = None) -> str:
        """Output of the line followed by the next prompt ("" once closed). `received_at`:
        the event-loop time the line's input arrived (a device's clock starts there)."""
        ...


class DefaultShowProvider:
    """Answers `show version` only; the fabric model replaces it for everything else."""

    def show(self, node: str, command: str) -> str:
        words = command.strip().lstrip("/").split()
        if words[:2] == platform.SHOW_VERSION.split():
            return show_version(node)
        raise UnknownCommand(command, unknown_word(words[1:]))

    def state(self, node: str, path: str, as_json: bool) -> str:
        raise UnknownCommand(path)


def show_version(hostname: str, release: str = DEFAULT_RELEASE) -> str:
    """`show version` as SR Linux prints it for a 7220 IXR-D2 in containerlab."""
    rule = "-" * 80
    version, build = RELEASES[release]
    rows = [
        ("Hostname", hostname),
        ("Chassis Type", "7220 IXR-D2"),
        ("Part Number", "Sim Part No."),
        ("Serial Number", "Sim Serial No."),
        ("System HW MAC Address", "1A:B0:00:FF:00:00"),
        # `OS                   : SR Linux` above the version from 24.7 on (public 24.7.1,
        # 24.10.1 build 492-gf8858c5836, 24.10.3/.5 and 25.10.1 transcripts); 23.7 has none
        *([("OS", "SR Linux")] if at_least(release, (24, 7)) else []),
        ("Software Version", version),
        ("Build Number", build),
        ("Architecture", "x86_64"),
        ("Last Booted", "2024-01-01T00:00:00.000Z"),
        ("Total Memory", "24052875 kB"),
        ("Free Memory", "13450267 kB"),
    ]
    body = "\n".join(f"{k:<21}: {v}" for k, v in rows)
    return f"{rule}\n{body}\n{rule}"


def tree_to_json(node: ConfigTree) -> Any:
    """Nested dicts for `| as json` of config paths; a leaf's value is a plain string."""
    if not node.children:
        return {}
    if len(node.children) == 1:
        (token, child), = node.children.items()
        if not child.children:
            return token
    return {token: tree_to_json(child) for token, child in node._sorted()}


# leaf-lists that were single leaves before SR Linux 24.7 (`set` replaced their value)
POLICY_LEAVES_BEFORE_24_7 = frozenset({"export-policy", "import-policy"})


def _parse_error(token: str, options: list[str] | tuple[str, ...] = ()) -> str:
    suffix = f" Options are [{', '.join(options)}]" if options else ""
    return f"Parsing error: Unknown token '{token}'.{suffix}"


class CliSession:
    """One SSH session on an SR Linux node."""

    def __init__(
        self,
        datastore: NodeDatastore,
        show_provider: ShowProvider | None = None,
        *,
        hostname: str | None = None,
        username: str = platform.DEFAULT_USERNAME,
        fit_terminal: bool = False,
    ) -> None:
        self.ds = datastore
        # fit `show` tables to the terminal the SSH session asked for, as SR Linux does
        self.fit_terminal = fit_terminal
        self.terminal_columns: int | None = None  # set by the SSH server from the pty request
        self.provider: ShowProvider = show_provider or DefaultShowProvider()
        self.hostname = hostname or datastore.name
        self.username = username
        self.closed = False
        self.kind: str | None = None  # None = running; else private|exclusive|shared
        self._base: ConfigTree | None = None
        self._candidate: ConfigTree | None = None
        self.context: tuple[str, ...] = ()
        self._blocks: list[tuple[str, ...]] = []
        self._pacer = Pacer(datastore.latency)
        # the prompt's `*` (candidate differs from its base), kept while the lines run change
        # nothing: comparing the trees after every pasted line walked the whole configuration
        # when they were equal, a re-run of a 3,000-line configure took 12 s a host
        self._dirty: bool | None = None
        self._unchanged = False  # the line running changed nothing in the candidate
        # the session's `environment prompt` (None: SR Linux's default), first the one the
        # user's saved environment sets, loaded at login
        self.env_prompt: str | None = datastore.saved_prompt

    # -- candidate access ---------------------------------------------------------------------
    @property
    def candidate(self) -> ConfigTree | None:
        if self.kind == "shared":
            return self.ds.shared_candidate()[1]
        return self._candidate

    @property
    def base(self) -> ConfigTree | None:
        if self.kind == "shared":
            return self.ds.shared_candidate()[0]
        return self._base

    # -- prompt ----------------------------------------------------------------------------------
    def mode_label(self) -> str:
        if self.kind is None:
            return platform.RUNNING_MODE
        if self.kind == "private":
            return f"candidate private private-{self.username}"
        return f"candidate {self.kind} default"

    def prompt(self) -> str:
        if self.kind is None:
            dirty = False
        elif self._dirty is not None and self.kind != "shared":  # a shared one: others edit it too
            dirty = self._dirty
        else:
            dirty = self._dirty = self.candidate != self.base
        if self.env_prompt is not None:
            flags = ("+" if self.ds.unsaved else "") + ("*" if dirty else "")
            flags = f"{flags} " if flags else ""
            return render_prompt(self.env_prompt, {
                "aaa_user": self.username, "user": self.username, "host": self.hostname, "hw_slot": "A",
                "banner": "", "startup_config_state": "", "short_redundancy": "", "short_yang_models": "",
                "modified_flags": flags, "modified": flags, "mode_and_session": self.mode_label(),
                "mode": "running" if self.kind is None else "candidate", "pwc": " ".join(self.context),
            })
        return platform.prompt(self.hostname, self.mode_label(), " ".join(self.context), dirty,
                               unsaved=self.ds.unsaved)

    async def banner_and_prompt(self) -> str:
        loaded = LOADED_ENVIRONMENT.format(self.username) if self.ds.saved_prompt is not None else ""
        return f"{loaded}{BANNER}\n{self.prompt()}"

    async def settle(self) -> None:
        """Wait until the answers handled so far are due (the server calls it before writing)."""
        await self._pacer.settle()

    def close(self) -> None:
        """Session gone: drop the candidate and any exclusive lock it held."""
        self._leave_candidate(discard_shared=False)
        self.closed = True

    # -- dispatch ----------------------------------------------------------------------------------
    async def handle_line(self, line: str, received_at: float | None = None) -> str:
        tokens = tokenize(line)
        await self._pacer.pause(_kind_of(tokens), received_at)
        output = self.execute(line, tokens)
        if self.closed:
            return ""
        return (f"{output}\n" if output else "") + "\n" + self.prompt()

    def execute(self, line: str, tokens: list[str] | None = None) -> str:
        """Run one line and return its output (no prompt)."""
        if tokens is None:
            tokens = tokenize(line)
        if not tokens:
            return ""
        self._unchanged = tokens[0] in _READS
        try:
            return self._execute(line, tokens)
        finally:
            if not self._unchanged:
                self._dirty = None

    def _execute(self, line: str, tokens: list[str]) -> str:
        head = tokens[0]
        if self.ds.read_only and head in _WRITES and (self.kind is not None or head not in ("set", "delete", "load")):
            return NO_AUTHORIZATION.format(" ".join(line.split()))
        handler = {
            "environment": lambda t: self._environment(line, t),
            "enter": self._enter,
            "quit": self._quit,
            "logout": self._quit,
            "exit": self._exit,
            "show": lambda t: self._show(line),
            "/show": lambda t: self._show(line),  # SR Linux: `/` makes a command absolute
            "help": lambda t: HELP,
            "info": self._info,
            "diff": self._diff,
            "commit": self._commit,
            "discard": self._discard,
            "load": self._load,
            "tools": self._tools,
            "save": self._save,
            "pwc": lambda t: "/" + " ".join(self.context),
        }.get(head)
        if handler is not None:
            return handler(tokens)
        if head in ("set", "delete"):
            return self._set_delete(tokens)
        return self._edit_or_navigate(tokens)

    def _environment(self, line: str, tokens: list[str]) -> str:
        """`environment prompt VALUE` changes this session's prompt (nothing saved); the other
        `environment` settings are taken and change nothing the twin models."""
        if tokens[1:2] == ["prompt"] and len(tokens) > 2:
            value = line.split("prompt", 1)[1].strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            self.env_prompt = value
        return ""

    # -- modes ---------------------------------------------------------------------------------------
    def _enter(self, tokens: list[str]) -> str:
        if tokens[1:] == ["running"]:
            self._leave_candidate(discard_shared=False)
            return ""
        if len(tokens) < 2 or tokens[1] != "candidate":
            return _parse_error(tokens[1] if len(tokens) > 1 else "", ["candidate", "running"])
        kind = tokens[2] if len(tokens) > 2 else "shared"
        if kind not in ("private", "exclusive", "shared"):
            return _parse_error(kind, ["exclusive", "private", "shared"])
        owner = self.ds.exclusive_owner
        if owner is not None and owner is not self:
            return "Error: the candidate is locked by an exclusive session; try again later"
        if self.kind == kind:
            return ""
        if self.kind is not None:
            return f"Error: already in candidate {self.kind} mode: commit or discard first"
        self.kind = kind
        if kind == "exclusive":
            self.ds.exclusive_owner = self
        if kind != "shared":
            self._base = self.ds.running.copy()
            self._candidate = self.ds.running.copy()
        self.context, self._blocks = (), []
        return ""

    def _leave_candidate(self, *, discard_shared: bool) -> None:
        if self.kind == "shared" and discard_shared:
            self.ds.drop_shared()
        if self.ds.exclusive_owner is self:
            self.ds.exclusive_owner = None
        self.kind, self._base, self._candidate = None, None, None
        self.context, self._blocks = (), []

    def _quit(self, tokens: list[str]) -> str:
        self.close()
        return ""

    def _exit(self, tokens: list[str]) -> str:
        self._blocks = []
        if tokens[1:] == ["all"] or len(self.context) <= 1:
            self.context = ()
            return ""
        ctx = self.context[:-1]
        if roles(ctx)[-1] == "list":  # leaving a list entry leaves its key too
            ctx = ctx[:-1]
        self.context = ctx
        return ""

    # -- reading -------------------------------------------------------------------------------------
    def _show(self, line: str) -> str:
        if "|" in line:
            return "Error: output modifiers (| grep, | as json ...) of show are not modelled by the digital twin"
        token = TERMINAL_COLUMNS.set(self.terminal_columns if self.fit_terminal else None)
        try:
            return self.provider.show(self.hostname, line.strip())
        except NoSuchEntry as exc:
            return f"Error: {exc} is not configured"
        except UnknownCommand as exc:
            if exc.word is not None:
                return _parse_error(exc.word)
            return f"Error: not modelled by the digital twin: {line.strip()} (type 'help' for what it answers)"
        finally:
            TERMINAL_COLUMNS.reset(token)

    def _info(self, tokens: list[str]) -> str:
        args = tokens[1:]
        as_json = False
        if "|" in args:
            pipe = args[args.index("|") + 1 :]
            args = args[: args.index("|")]
            as_json = pipe[:2] == ["as", "json"]
        # `info flat from running /x` and `info from running flat /x`: SR Linux takes the
        # output format and the datastore in either order, before the path
        source = None
        flat = False
        while args:
            if args[0] == "from" and len(args) > 1:
                source, args = args[1], args[2:]
            elif args[0] in ("flat", "detail"):
                flat, args = flat or args[0] == "flat", args[1:]
            else:
                break
        path = self._resolve(args)
        if source == "state" and path[:3] == ("system", "configuration", "commit"):
            # the node's own commit history (the datastore's), not the fabric's state
            return json.dumps(self.ds.commit_state(), indent=2)
        if source == "state" and path[:3] == ("system", "configuration", "checkpoint"):
            return json.dumps(self.ds.checkpoint_state(), indent=2)
        if source == "state":
            try:
                return self.provider.state(self.hostname, "/" + " ".join(path), as_json)
            except UnknownCommand:
                tree = self.ds.running
        elif source == "running":
            tree = self.ds.running
        elif source in (None, "candidate"):
            tree = self.candidate if self.kind is not None else self.ds.running
        else:
            return _parse_error(source, ["candidate", "running", "state"])
        assert tree is not None
        if "*" in path:  # `info flat interface *`: every entry of the list
            return "\n".join(out for p in tree.expand(path) if (out := self._info_at(tree, p, flat, as_json)))
        return self._info_at(tree, path, flat, as_json)

    @staticmethod
    def _info_at(tree: ConfigTree, path: tuple[str, ...], flat: bool, as_json: bool) -> str:
        node = tree.get(path)
        if node is None:
            return ""
        if as_json:
            return json.dumps(tree_to_json(node), indent=2)
        if flat:
            return "\n".join(tree.flat(path))
        if not path:
            return tree.render()
        wrapper = ConfigTree()
        wrapper.ensure(path).children = node.children
        return wrapper.render()

    def _diff(self, tokens: list[str]) -> str:
        from nornir_evpn.twin.config_tree import diff, diff_flat

        if self.kind is None:
            return "Error: diff is only available in candidate mode"
        assert self.base is not None and self.candidate is not None
        if tokens[1:2] == ["flat"]:
            return diff_flat(self.base, self.candidate)
        return diff(self.base, self.candidate)

    # -- commit / discard --------------------------------------------------------------------------------
    def _commit(self, tokens: list[str]) -> str:
        if self.kind is None:
            return "Error: commit is only available in candidate mode"
        base, cand = self.base, self.candidate
        assert base is not None and cand is not None
        action = tokens[1] if len(tokens) > 1 else "now"
        try:
            if action == "validate":
                self.ds.check(base, cand, consume_fault=False)
                return MSG_VALIDATED
            if action in ("now", "save"):
                self.ds.commit(base, cand)
                self._leave_candidate(discard_shared=True)
                if action == "save":
                    self.ds.save()
                    return f"{MSG_COMMITTED_LEAVING}\n{MSG_SAVED}"
                return MSG_COMMITTED_LEAVING
            if action == "stay":
                self.ds.commit(base, cand)
                self._restart_candidate()
                return MSG_COMMITTED_STAYING
            if action == "confirmed":
                timeout = _confirm_timeout(tokens[2:])
                if timeout is None:
                    return _parse_error(" ".join(tokens[2:]), ["timeout"])
                self.ds.commit(base, cand, confirm_timeout=timeout)
                self._leave_candidate(discard_shared=True)
                return (
                    f"{MSG_COMMITTED_LEAVING}\nCommit will be rolled back in {timeout:g} seconds "
                    f"unless accepted with '{platform.CONFIRMED_ACCEPT}'."
                )
        except CommitError as exc:
            return f"Error: {exc}"
        return _parse_error(action, ["confirmed", "now", "save", "stay", "validate"])

    def _restart_candidate(self) -> None:
        if self.kind == "shared":
            self.ds.drop_shared()
        else:
            self._base = self.ds.running.copy()
            self._candidate = self.ds.running.copy()

    def _discard(self, tokens: list[str]) -> str:
        if self.kind is None:
            return "Error: discard is only available in candidate mode"
        action = tokens[1] if len(tokens) > 1 else "now"
        if action == "now":
            self._leave_candidate(discard_shared=True)
            return MSG_DISCARDED_LEAVING
        if action == "stay":
            self._restart_candidate()
            self.context, self._blocks = (), []
            return MSG_DISCARDED_STAYING
        return _parse_error(action, ["now", "stay"])

    def _load(self, tokens: list[str]) -> str:
        """`load checkpoint id N` / `load checkpoint name NAME`: the candidate becomes the
        checkpoint's configuration (a diff then shows what reverting to it changes)."""
        if self.kind is None:
            return "Error: load is only available in candidate mode"
        if tokens[1:2] != ["checkpoint"]:
            return _parse_error(tokens[1] if len(tokens) > 1 else "", ["checkpoint"])
        if len(tokens) != 4 or tokens[2] not in ("id", "name"):
            return _parse_error(" ".join(tokens[2:]), ["id", "name"])
        key, ref = tokens[2], tokens[3]
        if (key == "id") != ref.isdigit():
            return f"Error: checkpoint '{ref}' does not exist"
        try:
            saved = self.ds.checkpoint(ref).config.copy()
        except CommitError as exc:
            return f"Error: {exc}"
        if self.kind == "shared":
            self.ds.shared_candidate()
            self.ds.shared = saved
        else:
            self._candidate = saved
        self.context, self._blocks = (), []
        return ""

    def _save(self, tokens: list[str]) -> str:
        if len(tokens) < 2:
            return "Parsing error: Incomplete command. Options are [startup]"
        if tokens[1] != "startup":
            return _parse_error(tokens[1], ["startup"])
        if len(tokens) > 2:
            return _parse_error(tokens[2])
        try:
            self.ds.save()
        except CommitError as exc:  # the startup file could not be written
            return f"Error: {exc}"
        return MSG_SAVED

    def _tools(self, tokens: list[str]) -> str:
        line = " ".join(tokens)
        try:
            if line == platform.CONFIRMED_ACCEPT:
                self.ds.confirm_accept()
                return ""
            if line == platform.CONFIRMED_REJECT:
                self.ds.confirm_reject()
                return ""
            if tokens[:3] == ["tools", "system", "configuration"] and len(tokens) > 3:
                return self._checkpoint_tool(tokens[3:])
        except CommitError as exc:
            return f"Error: {exc}"
        return _parse_error(tokens[1] if len(tokens) > 1 else "tools", ["system"])

    def _checkpoint_tool(self, args: list[str]) -> str:
        """`generate-checkpoint [name N] [comment C]` and `checkpoint <id|name> revert|clear`
        (srl_nokia-tools-configuration)."""
        if args[0] == "generate-checkpoint":
            options = dict(zip(args[1::2], args[2::2], strict=False))
            unknown = [k for k in options if k not in ("name", "comment")]
            if unknown or len(args[1:]) % 2:
                return _parse_error(unknown[0] if unknown else args[-1], ["comment", "name"])
            return self.ds.generate_checkpoint(options.get("name"), options.get("comment", ""), self.username)
        if args[0] == "checkpoint" and len(args) == 3 and args[2] in ("revert", "clear"):
            if args[2] == "revert":
                return self.ds.revert_checkpoint(args[1])
            self.ds.clear_checkpoint(args[1])
            return ""
        return _parse_error(args[-1], ["checkpoint", "confirmed-accept", "confirmed-reject", "generate-checkpoint"])

    # -- editing -------------------------------------------------------------------------------------------
    def _resolve(self, args: list[str]) -> tuple[str, ...]:
        """A path as typed: absolute when it starts with `/`, else relative to the context."""
        if not args:
            return self.context
        if args[0] == "/":
            return tuple(args[1:])
        if args[0].startswith("/"):
            return (args[0][1:], *args[1:])
        return (*self.context, *args)

    def _check_root(self, path: tuple[str, ...]) -> str | None:
        if path and path[0] not in TOP_LEVEL:
            return _parse_error(path[0], TOP_LEVEL)
        return None

    def _set_delete(self, tokens: list[str]) -> str:
        if self.kind is None:
            return f"Error: '{tokens[0]}' is only available in candidate mode"
        cand = self.candidate
        assert cand is not None
        path = self._resolve(tokens[1:])
        if error := self._check_root(path):
            return error
        if tokens[0] == "set":
            return self._set_leaf(cand, path)
        if error := key_error(path):  # a delete of what is absent is silent; a bad key is not
            return error
        self._unchanged = not cand.delete(path)
        return ""

    def _single_policy_leaf(self, name: str) -> bool:
        """`name` is export-policy/import-policy on a release before 24.7, where each is one
        leaf (srl_nokia-bgp.yang), not the leaf-list it became."""
        if name not in POLICY_LEAVES_BEFORE_24_7:
            return False
        of = getattr(self.provider, "release_of", None)
        return not at_least(of(self.ds.name) if of is not None else DEFAULT_RELEASE, (24, 7))

    def _set_leaf(self, cand: ConfigTree, path: tuple[str, ...]) -> str:
        """`set <path>` into the candidate; the device's complaint, or "".

        `set` adds to a leaf-list, it never replaces it (delete it first for that): the path
        stored is the values already there, then the new ones. A policy that is still a
        single leaf takes one value, replacing the old, and refuses `[ ... ]` (a twin playing
        23.7 committed a chain no such device can hold)."""
        if error := leaf_error(path):
            return error
        if "[" in path:
            # `[ ... ]` is only ever a leaf-list's value: one the twin does not know by name
            # (a template's `system dns server-list [ ... ]`) is one from now on
            learn_leaf_list(path[: path.index("[")])
        role = roles(path)
        if "leaf-list" in role:
            at = role.index("leaf-list")
            if self._single_policy_leaf(path[at]):
                if "[" in path:
                    return (f"Error: {path[at]} is a single policy name before SR Linux 24.7: "
                            "[ ... ] is not accepted")
            elif (held := cand.get(path[: at + 1])) is not None and held.children:
                new = [t for t in path[at + 1 :] if t not in ("[", "]")]
                merged = list(held.children) + [v for v in new if v not in held.children]
                path = (*path[: at + 1], "[", *merged, "]")
        # a leaf set to the value it has changes nothing (its parent keeps the same children)
        parent = cand.get(path[:-1]) if "[" not in path and "leaf-list" not in role else None
        before = (set(parent.children) if parent is not None and path[-1] in parent.children
                  and not parent.children[path[-1]].children else None)
        cand.set(path)
        self._unchanged = before is not None and set(parent.children) == before  # type: ignore[union-attr]
        return ""

    def _edit_or_navigate(self, tokens: list[str]) -> str:
        if tokens[0] == "}":
            if self._blocks:
                self.context = self._blocks.pop()
            return ""
        opens = tokens[-1] == "{"
        closes_inline = tokens[-2:] == ["{", "}"]
        body = tokens[:-2] if closes_inline else tokens[:-1] if opens else tokens
        path = self._resolve(body) if body else ()
        if error := self._check_root(path):
            return error
        cand = self.candidate
        if cand is None:
            # running mode: navigation only, into something that exists
            if opens or closes_inline or not self.ds.running.exists(path):
                return _parse_error(body[-1] if body else "{")
            self.context = path
            return ""
        if closes_inline:
            cand.ensure(path)
            return ""
        if opens:
            cand.ensure(path)
            self._blocks.append(self.context)
            self.context = path
            return ""
        role = roles(path)
        is_leaf = "[" in path or (
            len(path) >= 2
            and role[-1] in ("name", "value")
            and role[-2] in ("name", "leaf-list")
            and path[-1] not in CONTAINERS
            and path[-2] not in CONTAINERS
        )
        if is_leaf:
            if error := self._set_leaf(cand, path):
                return error
        else:
            cand.ensure(path)
            self.context = path
        return ""


def _confirm_timeout(args: list[str]) -> float | None:
    if not args:
        return float(DEFAULT_CONFIRM_TIMEOUT_S)
    if len(args) == 2 and args[0] == "timeout":
        try:
            value = float(args[1])
        except ValueError:
            return None
        return value if value > 0 else None
    return None


def _kind_of(tokens: list[str]) -> str:
    """Latency bucket of a command line."""
    head = tokens[0] if tokens else ""
    if head in ("commit", "show", "info"):
        return head
    if head == "tools" and tokens[-1] == "revert":  # a checkpoint's load and commit
        return "commit"
    if head == "tools" and "generate-checkpoint" in tokens:  # a file written on the device
        return "show"
    if head in ("enter", "environment", "quit", "logout", "exit", "discard", "diff", "tools", ""):
        return "default"
    return "edit"


class LinuxShellPlaceholder:
    """Minimal CE shell until the fabric engineer registers the real one: `echo` only."""

    PROMPT = "bash-5.0# "

    def __init__(self, hostname: str) -> None:
        self.hostname = hostname
        self.closed = False

    async def banner_and_prompt(self) -> str:
        return self.PROMPT

    async def handle_line(self, line: str, received_at: float | None = None) -> str:
        words = line.split()
        if words[:1] in (["exit"], ["logout"]):
            self.closed = True
            return ""
        if not words:
            out = ""
        elif words[0] == "echo":
            out = " ".join(words[1:])
        elif words[0] == "hostname":
            out = self.hostname
        else:
            out = f"bash: {words[0]}: command not found"
        return (f"{out}\n" if out else "") + self.PROMPT
