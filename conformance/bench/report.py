"""The table, the JSON document, and the comparison of two JSON documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mmapspec.bench.timing import ComparisonResult, GroupResult, LimitResult, VariantResult

FORMAT = "mmapspec-bench/1"


def fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_rate(bytes_per_s: float) -> str:
    return f"{bytes_per_s / 1e9:.2f} GB/s"


def _short(key: str) -> str:
    """``mirror.64KiB.reference`` -> ``64KiB.reference``: the key within its group."""
    return key.split(".", 1)[1]


def ratio_text(c: ComparisonResult) -> str:
    comp = c.comparison
    if comp.kind == "speed":
        name = f"speed {_short(comp.case)} vs {_short(comp.baseline)}"
    else:
        name = f"time {_short(comp.case)} / {_short(comp.baseline)}"
    if c.ratio is None:
        return f"{name}: not measured"
    spread = (
        f" (rounds {c.paired.q1:.3g}-{c.paired.q3:.3g})"
        if c.paired and c.paired.q1 != c.paired.q3
        else ""
    )
    target = ""
    if comp.limit is not None:
        op = "<=" if comp.kind == "time" else ">="
        target = f"   target {op} {comp.limit:g}x: {'MET' if c.met else 'MISSED'}"
    return f"{name} = {c.ratio:.3g}x{spread}{target}"


def _row(v: VariantResult, width: int) -> str:
    label = v.label.ljust(width)
    if v.skip:
        return f"  {label}  skipped: {v.skip}"
    if v.error:
        return f"  {label}  ERROR: {v.error}"
    st = v.stats
    if st is None:
        return f"  {label}  no data"
    one = len(v.per_op) == 1  # a single run has no spread to show
    iqr = "-" if one else fmt_time(st.iqr)
    rel = "-" if one or not st.median else f"{100 * st.iqr / st.median:.1f}%"
    rate = fmt_rate(v.bytes_per_op / st.median) if v.bytes_per_op and st.median else ""
    return (
        f"  {label}  {fmt_time(st.median):>9}  {iqr:>9} {rel:>6}  "
        f"{v.n:>7} x {len(v.per_op):<3} {rate:>11}"
    )


def table(groups: list[GroupResult], machine_line: str) -> str:
    width = max((len(v.label) for g in groups for v in g.variants), default=20)
    head = (
        f"  {'':{width}}  {'median':>9}  {'IQR':>9} {'IQR%':>6}  "
        f"{'ops':>7} x rnd {'throughput':>11}"
    )
    out = [f"machine: {machine_line}", head]
    for g in groups:
        out.append("")
        out.append(f"{g.title}   [{'CPU time' if g.clock == 'cpu' else 'wall time'}]")
        if g.error:
            out.append(f"  ERROR: {g.error}")
        out.extend(_row(v, width) for v in g.variants)
        out.extend(f"    {ratio_text(c)}" for c in g.comparisons)
        for lim in g.limits:
            if lim.median is not None:
                out.append(
                    f"    {_short(lim.limit.key)} = {fmt_time(lim.median)}   target < "
                    f"{lim.limit.max_seconds:g} s: {'MET' if lim.met else 'MISSED'}"
                )
        out.extend(f"    note: {n}" for n in g.notes)
    out.append("")
    out.append("targets:")
    out.extend(f"  {line}" for line in target_lines(groups))
    return "\n".join(out)


def target_lines(groups: list[GroupResult]) -> list[str]:
    lines = []
    for g in groups:
        for c in g.comparisons:
            if c.comparison.limit is not None:
                status = "not measured" if c.met is None else ("MET" if c.met else "MISSED")
                lines.append(
                    f"{status:12} {g.id}: {ratio_text(c).split('   target')[0]}"
                    f" (target {'<=' if c.comparison.kind == 'time' else '>='} "
                    f"{c.comparison.limit:g}x)"
                )
        for lim in g.limits:
            status = "not measured" if lim.met is None else ("MET" if lim.met else "MISSED")
            value = fmt_time(lim.median) if lim.median is not None else "-"
            lines.append(
                f"{status:12} {g.id}: {_short(lim.limit.key)} = {value} "
                f"(target < {lim.limit.max_seconds:g} s)"
            )
    return lines


def _variant_json(v: VariantResult) -> dict[str, Any]:
    st = v.stats
    return {
        "key": v.key,
        "label": v.label,
        "role": v.role,
        "skip": v.skip,
        "error": v.error,
        "ops_per_batch": v.n,
        "rounds": len(v.per_op),
        "bytes_per_op": v.bytes_per_op,
        "median_s": st.median if st else None,
        "q1_s": st.q1 if st else None,
        "q3_s": st.q3 if st else None,
        "iqr_s": st.iqr if st else None,
        "bytes_per_s": v.bytes_per_op / st.median if st and v.bytes_per_op and st.median else None,
        "per_op_s": v.per_op,
    }


def _comparison_json(c: ComparisonResult) -> dict[str, Any]:
    return {
        "case": c.comparison.case,
        "baseline": c.comparison.baseline,
        "kind": c.comparison.kind,
        "ratio": c.ratio,
        "ratio_of_medians": c.of_medians,
        "round_q1": c.paired.q1 if c.paired else None,
        "round_q3": c.paired.q3 if c.paired else None,
        "limit": c.comparison.limit,
        "met": c.met,
    }


def _limit_json(lim: LimitResult) -> dict[str, Any]:
    return {
        "key": lim.limit.key,
        "max_seconds": lim.limit.max_seconds,
        "median_s": lim.median,
        "met": lim.met,
    }


def to_json(groups: list[GroupResult], meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        **meta,
        "groups": [
            {
                "id": g.id,
                "clock": g.clock,
                "title": g.title,
                "notes": g.notes,
                "error": g.error,
                "variants": [_variant_json(v) for v in g.variants],
                "comparisons": [_comparison_json(c) for c in g.comparisons],
                "limits": [_limit_json(lim) for lim in g.limits],
            }
            for g in groups
        ],
        "targets": target_lines(groups),
    }


def write_json(doc: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")


def load_json(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    if doc.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} document (format={doc.get('format')!r})")
    return doc


def compare(old: dict[str, Any], new: dict[str, Any]) -> str:
    """Medians and ratios of two runs side by side (keys present in both)."""

    def medians(doc: dict[str, Any]) -> dict[str, tuple[str, float]]:
        return {
            v["key"]: (v["label"], v["median_s"])
            for g in doc["groups"]
            for v in g["variants"]
            if v.get("median_s")
        }

    def ratios(doc: dict[str, Any]) -> dict[tuple[str, str], float]:
        return {
            (c["case"], c["baseline"]): c["ratio"]
            for g in doc["groups"]
            for c in g["comparisons"]
            if c.get("ratio")
        }

    out = [f"compared with the run of {old.get('started', '?')}"]
    om, nm = old.get("machine", {}), new.get("machine", {})
    if (om.get("cpu"), om.get("kernel"), om.get("python")) != (
        nm.get("cpu"),
        nm.get("kernel"),
        nm.get("python"),
    ):
        out.append(
            f"  NOTE: different machine or Python: old {om.get('cpu')}, "
            f"{om.get('kernel')}, {om.get('python')}; "
            "compare the ratios, not the absolute times"
        )
    old_m, new_m = medians(old), medians(new)
    common = [k for k in new_m if k in old_m]
    width = max((len(new_m[k][0]) for k in common), default=10)
    out.append(f"  {'':{width}}  {'old':>9}  {'new':>9}  change")
    for k in common:
        (label, n), (_, o) = new_m[k], old_m[k]
        out.append(
            f"  {label:{width}}  {fmt_time(o):>9}  {fmt_time(n):>9}  {100 * (n - o) / o:+.1f}%"
        )
    old_r, new_r = ratios(old), ratios(new)
    for pair, r in new_r.items():
        if pair in old_r:
            out.append(
                f"  ratio {_short(pair[0])} / {_short(pair[1])}: {old_r[pair]:.2f}x -> {r:.2f}x"
            )
    if len(out) == 1:
        out.append("  nothing in common")
    return "\n".join(out)
