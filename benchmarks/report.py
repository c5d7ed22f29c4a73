"""Targets, markdown table and plot for the scale benchmark's results (latest-<profile>.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# <latency profile>[-rr]: -rr runs use spine route reflectors instead of a full iBGP mesh
PROFILES = ("fast", "realistic", "fast-rr", "realistic-rr")
COMMANDS = ("configure", "verify", "failover")
EFFICIENCY_MAX = 1.5  # parallel wall <= 1.5 x the slowest single host
CPU_MS_PER_HOST_MAX = 10.0
TOOL_RSS_MAX_MB = 300.0
TWIN_RSS_MAX_MB = 500.0


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def targets(doc: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets, evaluated on the largest fabric of this run."""
    sizes = doc.get("sizes") or []
    if not sizes:
        return {}
    big, small = sizes[-1], sizes[0]
    startup = doc["startup"]["wall_s"]
    out: dict[str, Any] = {"leaves": big["leaves"], "profile": doc["profile"]}
    for cmd in ("configure", "verify"):
        par, ser = big["parallel"].get(cmd, {}), big["serial"].get(cmd, {})
        slowest = ser.get("host_s_max")  # one host alone, nothing competing for the CPU
        wall = par.get("wall_s")
        out[f"{cmd}_efficiency"] = {
            "parallel_wall_s": wall, "slowest_host_s": slowest,
            "ratio": _ratio(wall, slowest),
            "ratio_without_startup": _ratio(wall - startup if wall else None, slowest),
            "target": EFFICIENCY_MAX,
            "met": bool(wall and slowest and wall <= EFFICIENCY_MAX * slowest),
            "speedup_vs_serial": _ratio(ser.get("wall_s"), wall),
        }
    cpu: dict[str, Any] = {}
    for cmd in COMMANDS:
        par = big["parallel"].get(cmd, {})
        if "tool_cpu_s" not in par:
            continue
        per_host = par["tool_cpu_ms_per_host"]
        marginal = None
        first = small["parallel"].get(cmd, {})
        if len(sizes) > 1 and "tool_cpu_s" in first and big["srl_hosts"] > small["srl_hosts"]:
            marginal = round((par["tool_cpu_s"] - first["tool_cpu_s"]) * 1000
                             / (big["srl_hosts"] - small["srl_hosts"]), 2)
        cpu[cmd] = {"ms_per_host": per_host, "marginal_ms_per_host": marginal,
                    "met": per_host <= CPU_MS_PER_HOST_MAX,
                    "marginal_met": marginal is not None and marginal <= CPU_MS_PER_HOST_MAX}
    out["tool_cpu"] = {"target_ms": CPU_MS_PER_HOST_MAX, "startup_cpu_s": doc["startup"]["cpu_s"], **cpu}
    # configuration goes line by line: CPU per line (start-up taken off) is the comparable unit
    start_cpu = doc["startup"]["cpu_s"]
    per_line = {}
    for label, r in (("serial", big["serial"].get("configure", {})),
                     ("parallel", big["parallel"].get("configure", {})), ("baseline", big["baseline"])):
        if r.get("cli_lines_total"):
            per_line[label] = round((r["tool_cpu_s"] - start_cpu) * 1e6 / r["cli_lines_total"])
    out["configure_cpu_us_per_line"] = per_line
    runs = [big[v][c] for v in ("serial", "parallel") for c in COMMANDS if "tool_cpu_s" in big[v].get(c, {})]
    tool_rss = max(r["tool_maxrss_mb"] for r in runs)
    twin_rss = max(r["twin_rss_peak_mb"] for r in runs)
    out["memory"] = {"tool_peak_mb": tool_rss, "tool_met": tool_rss <= TOOL_RSS_MAX_MB,
                     "twin_peak_mb": twin_rss, "twin_met": twin_rss <= TWIN_RSS_MAX_MB}
    out["connections"] = {
        f"{v}.{c}": {"logins_per_host_max": big[v][c]["logins_per_host_max"],
                     "shows_per_host_max": big[v][c]["shows_per_host_max"]}
        for v in ("serial", "parallel") for c in COMMANDS if "logins_per_host_max" in big[v].get(c, {})
    }
    out["connections"]["once_per_command"] = all(
        big["parallel"][c]["logins_per_host_max"] == 1 for c in ("configure", "verify", "failover")
    )
    return out


# ----------------------------------------------------------------------------- markdown
def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "**no**"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"
    return str(v)


def _per_line(r: dict[str, Any]) -> float | None:
    """Tool CPU per CLI line the twin received: the cost unit of line-by-line configuration."""
    lines = r.get("cli_lines_total")
    return round(r["tool_cpu_s"] * 1e6 / lines) if lines else None


def _rows(doc: dict[str, Any]) -> list[str]:
    head = ("| leaves | hosts | command | workers | ok | wall s | slowest host s | tool CPU s | "
            "CPU ms/host | CLI lines | tool CPU µs/line | tool RSS MB | twin RSS MB | twin CPU s | "
            "logins/host | shows/host |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for size in doc["sizes"]:
        for variant in ("serial", "parallel"):
            for cmd in COMMANDS:
                r = size[variant].get(cmd)
                if not r:
                    continue
                if "skipped" in r:
                    lines.append(f"| {size['leaves']} | {size['srl_hosts']} | {cmd} | "
                                 f"{size[variant]['workers']} | skipped |" + " |" * 11)
                    continue
                lines.append("| " + " | ".join(_fmt(x) for x in (
                    size["leaves"], size["srl_hosts"], cmd, size[variant]["workers"], r.get("ok"),
                    r["wall_s"], r.get("host_s_max"), r["tool_cpu_s"], r["tool_cpu_ms_per_host"],
                    r.get("cli_lines_total"), _per_line(r), r["tool_maxrss_mb"], r["twin_rss_peak_mb"], r["twin_cpu_s"],
                    r["logins_per_host_max"], r["shows_per_host_max"])) + " |")
        b = size["baseline"]
        lines.append("| " + " | ".join(_fmt(x) for x in (
            size["leaves"], size["srl_hosts"], "baseline (plain scrapli loop)", 1, b.get("ok"),
            b["wall_s"], b.get("host_s_max"), b["tool_cpu_s"], b["tool_cpu_ms_per_host"],
            b.get("cli_lines_total"), _per_line(b), b["tool_maxrss_mb"], b["twin_rss_peak_mb"], b["twin_cpu_s"],
            b["logins_per_host_max"], b["shows_per_host_max"])) + " |")
    return lines


def _targets_md(t: dict[str, Any]) -> list[str]:
    if not t:
        return []
    out = [f"Targets at {t['leaves']} leaves ({t['profile']} profile):", ""]
    for cmd in ("configure", "verify"):
        e = t[f"{cmd}_efficiency"]
        out.append(f"- {cmd} parallel efficiency: wall {_fmt(e['parallel_wall_s'])} s vs slowest single "
                   f"host {_fmt(e['slowest_host_s'])} s = {_fmt(e['ratio'])}x "
                   f"({_fmt(e['ratio_without_startup'])}x without CLI start-up; target ≤ {e['target']}x: "
                   f"{_fmt(e['met'])}); {_fmt(e['speedup_vs_serial'])}x faster than --workers 1")
    cpu = t["tool_cpu"]
    for cmd in COMMANDS:
        if cmd in cpu:
            c = cpu[cmd]
            out.append(f"- tool CPU {cmd}: {_fmt(c['ms_per_host'])} ms/host incl. start-up "
                       f"({_fmt(c['met'])}), marginal {_fmt(c['marginal_ms_per_host'])} ms/host "
                       f"({_fmt(c['marginal_met'])}); target ≤ {cpu['target_ms']} ms")
    if t.get("configure_cpu_us_per_line"):
        out.append("- configure tool CPU per CLI line (start-up taken off): "
                   + ", ".join(f"{k} {v} µs" for k, v in t["configure_cpu_us_per_line"].items()))
    m = t["memory"]
    out.append(f"- memory: tool peak {_fmt(m['tool_peak_mb'])} MB (≤ {TOOL_RSS_MAX_MB:g}: {_fmt(m['tool_met'])}), "
               f"twin peak {_fmt(m['twin_peak_mb'])} MB (≤ {TWIN_RSS_MAX_MB:g}: {_fmt(m['twin_met'])})")
    conn = t["connections"]
    out.append(f"- one SSH login per host per command (configure, verify, failover-test): {_fmt(conn['once_per_command'])}; "
               + ", ".join(f"{k} {v['logins_per_host_max']} login(s)/{v['shows_per_host_max']} shows"
                           for k, v in conn.items() if isinstance(v, dict)))
    return out


def markdown(docs: dict[str, dict[str, Any]]) -> str:
    lines = ["# Scale benchmark results", "",
             "Generated by `python benchmarks/scale.py` (see its docstring). Each command is a "
             "subprocess against a fresh digital twin running in its own process; *serial* = "
             "`--workers 1`, *parallel* = default (one worker per host). Wall and CPU include the "
             "CLI's start-up (interpreter + imports of byte-compiled modules, as after an "
             "install). *slowest host* is the largest per-host `seconds` of the --json output. "
             "Logins and shows are counted inside the twin.", ""]
    any_doc = next(iter(docs.values()))
    m = any_doc["machine"]
    lines += [f"Machine: `{m['uname']}`, {m['cpu_count']} CPUs, Python {m['python']} "
              f"(load average at start {m['load_avg_start']}; the machine was shared).", ""]
    for profile, doc in docs.items():
        lines += [f"## {profile} profile, overlay {doc.get('overlay', 'full-mesh')} "
                  f"({doc['timestamp']}, {doc['duration_s']} s, "
                  f"fabric timing {doc['twin_fabric_timing']}{', quick' if doc['quick'] else ''})", "",
                  f"CLI start-up (`--help`): {doc['startup']['wall_s']} s wall, {doc['startup']['cpu_s']} s CPU, "
                  f"{doc['startup']['maxrss_mb']} MB.", ""]
        lines += [*_rows(doc), "", *_targets_md(targets(doc)), ""]
    lines += ["![time vs leaves](scale.png)", ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- plot
def plot(docs: dict[str, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(docs), figsize=(6 * len(docs), 4.5), squeeze=False)
    for ax, (profile, doc) in zip(axes[0], docs.items(), strict=True):
        leaves = [s["leaves"] for s in doc["sizes"]]

        def series(variant: str, cmd: str, sizes: list[dict[str, Any]] = doc["sizes"]) -> list[float | None]:
            return [(s[variant].get(cmd) or {}).get("wall_s") for s in sizes]

        for variant, style in (("serial", "--"), ("parallel", "-")):
            for cmd, color in (("configure", "tab:blue"), ("verify", "tab:green"), ("failover", "tab:red")):
                ys = series(variant, cmd)
                pts = [(x, y) for x, y in zip(leaves, ys, strict=True) if y is not None]
                if pts:
                    ax.plot(*zip(*pts, strict=True), style, marker="o", color=color,
                            label=f"{cmd} {variant}")
        ax.plot(leaves, [s["baseline"]["wall_s"] for s in doc["sizes"]], ":", marker="s", color="black",
                label="baseline scrapli loop")
        ax.set(title=f"{profile} profile", xlabel="leaves", ylabel="wall time (s)", xscale="log", yscale="log")
        ax.set_xticks(leaves, [str(x) for x in leaves])
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_all(out_dir: Path) -> dict[str, dict[str, Any]]:
    """RESULTS.md and scale.png from every latest-<profile>.json in `out_dir`."""
    docs = {p: json.loads((out_dir / f"latest-{p}.json").read_text())
            for p in PROFILES if (out_dir / f"latest-{p}.json").is_file()}
    if docs:
        (out_dir / "RESULTS.md").write_text(markdown(docs))
        plot(docs, out_dir / "scale.png")
    return docs


if __name__ == "__main__":
    import sys

    write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "results")
