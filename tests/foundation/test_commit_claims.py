"""A committing configure/rollback holds its hosts (nornir_evpn.commit_claims)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nornir_evpn import commit_claims
from nornir_evpn.errors import UserInputError
from nornir_evpn.failover_state import prepare_state_file, state_file_path


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NORNIR_EVPN_FAILOVER_STATE", raising=False)


def test_a_failover_test_is_refused_on_a_host_a_configure_of_its_lab_holds() -> None:
    with commit_claims.committing("configure", "pod-a", ["leaf1", "leaf2"]):
        with pytest.raises(UserInputError, match=r"a configure \(pid \d+\) is committing to leaf1 of lab pod-a"):
            prepare_state_file(state_file_path(), "leaf1", "ethernet-1/1", {"lab": "pod-a"})
        assert not state_file_path().exists()
        prepare_state_file(state_file_path(), "leaf1", "ethernet-1/1", {"lab": "pod-b"})  # another fabric's
    assert not list(state_file_path().parent.glob("commit-*.json"))


def test_a_configure_is_refused_while_another_holds_one_of_its_hosts() -> None:
    with commit_claims.committing("rollback", "pod-a", ["leaf2"]):
        with (pytest.raises(UserInputError, match=r"a rollback \(pid \d+\) is committing to leaf2 of lab pod-a"),
              commit_claims.committing("configure", "pod-a", ["leaf1", "leaf2"])):
            pass
        with commit_claims.committing("configure", "pod-a", ["leaf3"]):  # other hosts: both go on
            pass


def test_the_check_runs_under_the_claim_and_a_refusal_leaves_no_claim() -> None:
    def failover_running() -> None:
        raise UserInputError("a failover-test is running")

    with (pytest.raises(UserInputError, match="failover-test is running"),
          commit_claims.committing("configure", "pod-a", ["leaf1"], check=failover_running)):
        pass
    assert not list(Path(".nornir_evpn").glob("commit-*.json"))


def test_an_interrupt_just_after_the_claim_is_written_leaves_no_claim(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C in a runbook the moment the claim was written (before the `try` that removes
    it): the file stayed, and as its process lived on, every later configure or rollback of
    those hosts in that process was refused."""
    written = commit_claims.replace_atomically

    def write_then_interrupt(path: Path, text: str, **kwargs: object) -> None:
        written(path, text, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(commit_claims, "replace_atomically", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt), commit_claims.committing("configure", "pod-a", ["leaf1"]):
        pass
    assert not list(Path(".nornir_evpn").glob("commit-*.json"))
    monkeypatch.setattr(commit_claims, "replace_atomically", written)
    with commit_claims.committing("configure", "pod-a", ["leaf1"]):
        pass


def test_a_change_of_directory_during_the_run_leaves_no_claim(tmp_path: Path) -> None:
    """A runbook thread changed directory while a configure committed: the claim (a path
    relative to the old one) was not removed, and held leaf1 for the process's life."""
    (tmp_path / "elsewhere").mkdir()
    with commit_claims.committing("configure", "pod-a", ["leaf1"]):
        os.chdir(tmp_path / "elsewhere")
    os.chdir(tmp_path)
    assert not list(Path(".nornir_evpn").glob("commit-*.json"))


def test_a_claim_a_killed_run_left_holds_nothing(tmp_path: Path) -> None:
    directory = tmp_path / ".nornir_evpn"
    directory.mkdir(mode=0o700)
    stale = directory / "commit-1-1.json"
    stale.write_text(json.dumps({"kind": commit_claims.CLAIM_KIND, "command": "configure", "lab": "pod-a",
                                 "hosts": ["leaf1"], "pid": os.getpid(), "pid_start": -1}))
    stale.chmod(0o600)
    with commit_claims.committing("configure", "pod-a", ["leaf1"]):
        pass
    assert not stale.exists()


def test_a_directory_that_cannot_be_written_holds_no_claim_and_the_run_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NORNIR_EVPN_FAILOVER_STATE", str(tmp_path / "file" / "sub" / "state.json"))
    (tmp_path / "file").write_text("not a directory\n")
    checked = []
    with commit_claims.committing("configure", "pod-a", ["leaf1"], check=lambda: checked.append(True)):
        pass
    assert checked == [True]


def test_a_reading_run_is_told_of_a_failover_test_or_a_commit_of_its_lab() -> None:
    """Whichever hosts it reads: `verify --hosts leaf3` during a failover-test of leaf1
    FAILed evpn.received on leaf3 (the ethernet segment's routes withdrawn) with no note, as
    the note looked only for a test or a commit of leaf3 itself."""
    assert commit_claims.busy_notes("pod-a") == []
    with commit_claims.committing("configure", "pod-a", ["leaf1", "leaf2"]):
        assert commit_claims.busy_notes("pod-b") == []  # another fabric's
        [note] = commit_claims.busy_notes("pod-a")
        assert note.startswith(f"a configure (pid {os.getpid()}) was committing to leaf1, leaf2 during this run")
    prepare_state_file(state_file_path(), "leaf1", "ethernet-1/1", {"lab": "pod-a"})
    [note] = commit_claims.busy_notes("pod-a")
    assert note.startswith(f"a failover-test (pid {os.getpid()}) of leaf1 ethernet-1/1 was running during this run")
    assert commit_claims.busy_notes("pod-b") == []


def test_two_twins_of_one_lab_name_are_two_fabrics(tmp_path: Path) -> None:
    """Two twins of evpn-mh01 served from one directory (`--twin-state`): a configure of
    the second was refused while one of the first committed (`a configure (pid N) is
    committing to leaf1 ... of lab evpn-mh01`), and a failover-test of the first refused a
    configure of the second. The twin state file the run goes through tells them apart."""
    import types

    from nornir_evpn.commands.configure import refuse_during_failover_test

    twin_a, twin_b = tmp_path / "a" / "twin.json", tmp_path / "b" / "twin.json"
    with commit_claims.committing("configure", "pod-a", ["leaf1"], twin_state=twin_a):
        with commit_claims.committing("configure", "pod-a", ["leaf1"], twin_state=twin_b):
            pass
        with commit_claims.committing("configure", "pod-a", ["leaf1"]):  # the lab's own devices
            pass
        with (pytest.raises(UserInputError, match=r"a configure \(pid \d+\) is committing to leaf1"),
              commit_claims.committing("rollback", "pod-a", ["leaf1"], twin_state=twin_a)):
            pass
        assert commit_claims.busy_notes("pod-a", commit_claims.twin_key(twin_b)) == []
        assert len(commit_claims.busy_notes("pod-a", commit_claims.twin_key(twin_a))) == 1
        prepare_state_file(state_file_path(), "leaf1", "ethernet-1/1",
                           {"lab": "pod-a", "twin_state": commit_claims.twin_key(twin_b)})  # twin b's test
        with pytest.raises(UserInputError, match=r"a configure .* is committing to leaf1"):
            prepare_state_file(Path("other.json"), "leaf1", "ethernet-1/1",
                               {"lab": "pod-a", "twin_state": commit_claims.twin_key(twin_a)})

    def target(twin: Path) -> types.SimpleNamespace:
        return types.SimpleNamespace(fabric=types.SimpleNamespace(name="pod-a"), twin_state=twin)

    refuse_during_failover_test({"leaf1": None}, target(twin_a))  # twin b's test: not twin a's
    with pytest.raises(UserInputError, match="is running on leaf1 ethernet-1/1"):
        refuse_during_failover_test({"leaf1": None}, target(twin_b))


def test_a_claim_file_of_another_kind_holds_nothing_and_is_left_alone() -> None:
    """Only this tool's claims hold hosts: a `commit-*.json` that is not one (another tool's,
    a hand-made file) naming a live pid is neither obeyed nor removed."""
    from nornir_evpn.processes import process_start

    directory = Path(".nornir_evpn")
    directory.mkdir(mode=0o700)
    other = directory / "commit-7-7.json"
    other.write_text(json.dumps({"kind": "someone else's", "command": "configure", "lab": "pod-a",
                                 "hosts": ["leaf1"], "pid": os.getpid(), "pid_start": process_start(os.getpid())}))
    other.chmod(0o600)
    assert commit_claims.live_claims("pod-a") == []
    with commit_claims.committing("configure", "pod-a", ["leaf1"]):
        assert [doc["command"] for _, doc in commit_claims.live_claims("pod-a")] == ["configure"]
    assert other.exists()


def test_a_failover_test_of_no_lab_is_refused_on_any_lab_s_claim() -> None:
    """A state file scope without a lab (an older caller, the API without one) cannot tell
    which fabric it tests: a claim of any lab on its host refuses it."""
    with commit_claims.committing("configure", "pod-a", ["leaf1"]):
        with pytest.raises(UserInputError, match=r"a configure \(pid \d+\) is committing to leaf1 of lab pod-a"):
            prepare_state_file(state_file_path(), "leaf1", "ethernet-1/1")
        assert not state_file_path().exists()
        prepare_state_file(state_file_path(), "leaf2", "ethernet-1/1")  # not a host it holds


def test_a_failover_test_s_refusal_says_what_a_commit_would_do_to_its_link() -> None:
    with commit_claims.committing("rollback", "pod-a", ["leaf1"]), pytest.raises(UserInputError) as info:
        prepare_state_file(state_file_path(), "leaf1", "ethernet-1/1", {"lab": "pod-a"})
    assert str(info.value).endswith(
        "; a commit there would re-enable the link this test shuts: run failover-test once it has ended")
    assert f"a rollback (pid {os.getpid()}) is committing to leaf1 of lab pod-a (" in str(info.value)


def test_two_claims_of_one_process_are_two_files_and_the_first_outlives_the_second() -> None:
    """A runbook's threads: the second run's claim ending must not drop the first one's."""
    with commit_claims.committing("configure", "pod-a", ["leaf1"]):
        with commit_claims.committing("configure", "pod-a", ["leaf3"]):
            assert len(list(Path(".nornir_evpn").glob("commit-*.json"))) == 2
        with pytest.raises(UserInputError, match=r"is committing to leaf1 of lab pod-a"):
            prepare_state_file(state_file_path(), "leaf1", "ethernet-1/1", {"lab": "pod-a"})
        assert [doc["hosts"] for _, doc in commit_claims.live_claims("pod-a")] == [["leaf1"]]


def test_the_claim_is_checked_and_written_under_the_directory_lock() -> None:
    """A failover-test claiming its link at the same moment (under the same lock) is seen:
    a claim made while the directory's lock is held (here through another descriptor, as
    another process holds it) waits for it, and writes nothing meanwhile."""
    import fcntl
    import threading

    directory = Path(".nornir_evpn")
    directory.mkdir(mode=0o700)
    fd = os.open(directory, os.O_RDONLY)
    entered = threading.Event()

    def claim() -> None:
        with commit_claims.committing("configure", "pod-a", ["leaf1"]):
            entered.set()

    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        worker = threading.Thread(target=claim)
        worker.start()
        assert not entered.wait(0.5)  # held off while the lock is taken
        assert not list(directory.glob("commit-*.json"))
    finally:
        os.close(fd)  # (releases the lock)
    worker.join(10)
    assert entered.is_set()


def test_a_claim_that_cannot_be_written_lets_the_run_go_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The directory is there but the file cannot be written (a full disk): the run goes on
    with nothing to coordinate, as with a directory it cannot make."""
    def full(path: Path, text: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(commit_claims, "replace_atomically", full)
    checked = []
    with commit_claims.committing("configure", "pod-a", ["leaf1"], check=lambda: checked.append(True)):
        assert commit_claims.live_claims("pod-a") == []
    assert checked == [True]


def test_a_reading_run_is_told_only_of_a_live_test_of_its_lab_and_of_one_of_no_lab() -> None:
    """A failover-test killed after its shut is no test running (its state file says so to
    `--restore`); a test of another lab is none of this run's; a state file without a lab
    (an older version's) is taken as this lab's, as configure does."""
    from nornir_evpn.failover_state import STATE_KIND
    from nornir_evpn.outputs import replace_atomically
    from nornir_evpn.processes import process_start

    state_file_path().parent.mkdir(mode=0o700)

    def state(**extra: object) -> None:
        replace_atomically(state_file_path(), json.dumps({
            "kind": STATE_KIND, "phase": "shut", "host": "leaf1",
            "interface": "ethernet-1/1", "pid": os.getpid(), "pid_start": process_start(os.getpid()), **extra}))

    state(pid_start=-1, lab="pod-a")  # killed: its pid now another process's
    assert commit_claims.busy_notes("pod-a") == []
    state(lab="pod-a")
    assert commit_claims.busy_notes("pod-b") == []
    assert len(commit_claims.busy_notes("pod-a")) == 1
    state()  # no lab
    [note] = commit_claims.busy_notes("pod-a")
    assert note.startswith(f"a failover-test (pid {os.getpid()}) of leaf1 ethernet-1/1 was running during this run")


def test_a_reading_run_whose_state_directory_cannot_be_read_is_told_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$NORNIR_EVPN_FAILOVER_STATE in a directory whose name is too long for the file system:
    verify has nothing to say of other runs, and goes on (the glob raised ENAMETOOLONG)."""
    monkeypatch.setenv("NORNIR_EVPN_FAILOVER_STATE", str(tmp_path / ("x" * 300) / "state.json"))
    assert commit_claims.busy_notes("pod-a") == []


def test_a_configure_of_another_lab_with_the_same_host_names_goes_on() -> None:
    """Two pods managed from one directory name their leaves alike: a claim is of its lab."""
    with (commit_claims.committing("configure", "pod-a", ["leaf1"]),
          commit_claims.committing("configure", "pod-b", ["leaf1"])):
        assert sorted(doc["lab"] for _, doc in commit_claims.live_claims(None)) == ["pod-a", "pod-b"]
