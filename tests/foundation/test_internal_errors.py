"""A bug of ours is said as one; a bad host name is not a bug (a review)."""
from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest
from nornir_evpn.tasks.config import commit_lost_reason

from nornir_evpn.failures import host_error
from nornir_evpn.internal import in_context, is_internal


def _raised(call) -> BaseException:  # type: ignore[no-untyped-def]
    with pytest.raises(Exception) as info:
        call()
    return info.value


def test_a_host_name_the_resolver_refuses_is_no_bug() -> None:
    """`leaf1..lab.example` (an empty label) made socket.getaddrinfo's idna codec raise a
    builtin UnicodeError: it read `internal error ... please report it`, with a traceback."""
    exc = _raised(lambda: socket.getaddrinfo("leaf1..lab.example", 22))
    assert isinstance(exc, UnicodeError) and not is_internal(exc)
    host = SimpleNamespace(name="leaf1", hostname="leaf1..lab.example", port=22)
    assert host_error(host, exc).startswith("cannot connect: leaf1..lab.example: not a valid host name (")


@pytest.mark.parametrize("root", ["/venv/lib/python3.12/site-packages", "/usr/lib/python3/dist-packages",
                                  "/usr/local/lib/python3.11/dist-packages"])
def test_a_builtin_error_raised_in_a_transport_library_is_no_bug(root: str) -> None:
    """Debian's python (and its pip) installs into `dist-packages`: a ValueError raised in
    scrapli there read `internal error: a bug in nornir_evpn`, with a traceback."""
    ns: dict = {}
    exec(compile("def f():\n    raise ValueError('x')\n", f"{root}/scrapli/driver/base/sync_driver.py", "exec"), ns)
    assert not is_internal(_raised(ns["f"]))


def test_a_builtin_error_in_our_own_code_is_one() -> None:
    assert is_internal(_raised(lambda: {}["x"]))
    assert is_internal(_raised(lambda: [].pop()))


@pytest.mark.parametrize(("reason", "then"), [
    ("connection lost (EOF)", ": it may have committed; check leaf2's running config"),
    ("internal error (KeyError: 'x'), see the traceback above", ": it may have committed"),
])
def test_a_settled_lost_commit_keeps_its_reason_and_the_pointer_to_a_traceback(reason: str, then: str) -> None:
    """--all-or-nothing settles a commit whose answer was lost and says the outcome in its own
    words: the reason stays, and a bug's "see the traceback above" stays last (the reason was
    cut at the first " after `", which dropped the pointer: maintainer review)."""
    error = in_context(reason, f" after `commit confirmed 60` was sent{then}")
    assert commit_lost_reason(error) == reason
    assert in_context(commit_lost_reason(error), " after the commit; rolled back") == (
        "internal error (KeyError: 'x') after the commit; rolled back, see the traceback above"
        if "traceback" in reason else "connection lost (EOF) after the commit; rolled back")


def test_the_kind_of_a_host_failure_is_told_by_the_words_host_error_puts_first() -> None:
    """failover-test counts the hosts it could not read by kind: the words are host_error's
    own, so the two are tested together (a reworded reason fell into `error`)."""
    from scrapli.exceptions import (
        ScrapliAuthenticationFailed,
        ScrapliConnectionError,
        ScrapliTimeout,
    )

    from nornir_evpn.failures import failure_kind

    host = SimpleNamespace(name="leaf1", hostname="leaf1.invalid", port=22, connection_options={})
    for exc, kind in ((ScrapliAuthenticationFailed("nope"), "authentication failed"),
                      (ScrapliConnectionError("EOF"), "connection lost"),
                      (ScrapliTimeout("timed out"), "timeout"),
                      (OSError("failed to determine socket address family"), "unreachable"),
                      (ValueError("x"), "error")):
        assert failure_kind(host_error(host, exc)) == kind, (exc, host_error(host, exc))


def test_an_auth_failure_with_the_factory_password_says_where_to_set_another(monkeypatch) -> None:
    """No $NORNIR_EVPN_PASSWORD, no password in the inventory: SR Linux's default went out
    without a word, and "authentication failed" on every host left the operator hunting for
    where the password comes from."""
    from scrapli.exceptions import ScrapliAuthenticationFailed

    from nornir_evpn.failures import failure_kind
    from nornir_evpn.platform import LAB_DEFAULT_PASSWORD

    monkeypatch.delenv("NORNIR_EVPN_PASSWORD", raising=False)
    exc = ScrapliAuthenticationFailed("all authentication methods failed")
    default = SimpleNamespace(name="leaf1", hostname="10.0.0.1", port=22, password=LAB_DEFAULT_PASSWORD)
    said = host_error(default, exc)
    assert said == ("authentication failed: all authentication methods failed (the password tried is SR "
                    "Linux's factory default: set $NORNIR_EVPN_PASSWORD to the device's)")
    assert LAB_DEFAULT_PASSWORD not in said and failure_kind(said) == "authentication failed"
    # a password of the operator's own: no hint; nor the default chosen in the environment
    own = SimpleNamespace(name="leaf1", hostname="10.0.0.1", port=22, password="another")
    assert host_error(own, exc) == "authentication failed: all authentication methods failed"
    monkeypatch.setenv("NORNIR_EVPN_PASSWORD", LAB_DEFAULT_PASSWORD)
    assert host_error(default, exc) == "authentication failed: all authentication methods failed"


def test_the_factory_password_hint_is_for_a_refused_login_only(monkeypatch) -> None:
    """A host that did not answer was never asked for the password: the hint there sent the
    operator to change a password that was not the problem."""
    from scrapli.exceptions import ScrapliConnectionError

    from nornir_evpn.platform import LAB_DEFAULT_PASSWORD

    monkeypatch.delenv("NORNIR_EVPN_PASSWORD", raising=False)
    default = SimpleNamespace(name="leaf1", hostname="10.0.0.1", port=22, password=LAB_DEFAULT_PASSWORD,
                              connection_options={})
    for exc in (ConnectionRefusedError(111, "Connection refused"), ScrapliConnectionError("EOF")):
        said = host_error(default, exc)
        assert "factory default" not in said and "NORNIR_EVPN_PASSWORD" not in said, said
