"""The figures of a chaos run as Markdown tables (pasted as is into docs/reliability.md)."""
from __future__ import annotations

import json

from tests.chaos.stalls import line


def _table(title: str, rows: dict, header: tuple[str, str] = ("", "count")) -> list[str]:
    lines = [f"**{title}**", "", f"| {header[0]} | {header[1]} |", "|---|---:|"]
    lines += [f"| {key} | {value} |" for key, value in rows.items()]
    return lines + [""]


def _plans(title: str, rows: dict) -> list[str]:
    lines = [f"**{title}**", "", "| plan | final |", "|---|---|"]
    lines += [f"| {plan} | {', '.join(f'{k}: {v}' for k, v in outcome.items())} |" for plan, outcome in rows.items()]
    return lines + [""]


def render(report, max_problems: int = 8) -> str:
    f, c = report.figures, report.config
    out = [f"### Chaos run: {c['orders']} orders, {c['topups']} top-ups (seed {c['seed']})", ""]
    if f:
        out += _table("Orders by final status (reason)", f["orders"], ("status", "orders"))
        out += _plans("Orders by what the user did", f["orders by plan"])
        out += _table("Top-ups by final status", f["top-ups"], ("status", "top-ups"))
        out += _plans("Top-ups by what the user did", f["top-ups by plan"])
        out += _plans("What the users were told (last answer)", f["what users were told"])
        out += _table("Faults injected", f["faults"], ("fault", "count"))
        out += _table("Time (seconds)", f["seconds"], ("", "s"))
        out += _table("Money (minor units)", f["money"], ("", "amount"))
        out += _table("Lowest figures seen during the run", f["lowest figures seen"], ("", "lowest"))
        out += [f"Duplicated messages by task: {json.dumps(f['duplicates by task'])}",
                f"Client retries: {f['client retries']}; errors the clients saw: {json.dumps(f['client errors seen'])}", ""]
    out += ["**Invariants**", "", "| invariant | holds |", "|---|---|"]
    for name, problems in report.broken.items():
        out.append(f"| {name} | {'yes' if not problems else f'NO ({len(problems)})'} |")
    out.append("")
    for name, problems in report.broken.items():
        for problem in problems[:max_problems]:
            out.append(f"- {name}: {problem}")
        if len(problems) > max_problems:
            out.append(f"- {name}: … {len(problems) - max_problems} more")
    if report.stalls:
        out += [line(report.stalls), ""]
    out.append("ALL INVARIANTS HOLD" if report.ok else "SOME INVARIANTS BROKE")
    return "\n".join(out)


def to_json(report) -> str:
    return json.dumps({"config": report.config, "figures": report.figures, "broken": report.broken,
                       "timeline": report.timeline, "stalls": report.stalls, "ok": report.ok}, indent=2, default=str)
