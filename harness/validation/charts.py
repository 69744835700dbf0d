"""Small self-contained SVG charts for the HTML report (no plotting library needed)."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

W, H = 420, 320
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 20, 44


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _frame(title: str, x_label: str, y_label: str) -> list[str]:
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
        f'role="img" aria-label="{_esc(title)}" font-family="sans-serif" font-size="11">',
        f"<title>{_esc(title)}</title>",
        f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="#fff" stroke="#444"/>',
        f'<text x="{LEFT + pw / 2}" y="{H - 8}" text-anchor="middle">{_esc(x_label)}</text>',
        f'<text transform="translate(13 {TOP + ph / 2}) rotate(-90)" text-anchor="middle">'
        f"{_esc(y_label)}</text>",
    ]


def _ticks_x(lo: float, hi: float, n: int = 5, fmt: str = "{:.1f}") -> list[str]:
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    out = []
    for i in range(n + 1):
        v = lo + (hi - lo) * i / n
        x = LEFT + pw * i / n
        out.append(f'<line x1="{x:.1f}" y1="{TOP + ph}" x2="{x:.1f}" y2="{TOP + ph + 4}" stroke="#444"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + ph + 16}" text-anchor="middle">{fmt.format(v)}</text>')
    return out


def _ticks_y(lo: float, hi: float, n: int = 5, fmt: str = "{:.1f}") -> list[str]:
    ph = H - TOP - BOTTOM
    out = []
    for i in range(n + 1):
        v = lo + (hi - lo) * i / n
        y = TOP + ph - ph * i / n
        out.append(f'<line x1="{LEFT - 4}" y1="{y:.1f}" x2="{LEFT}" y2="{y:.1f}" stroke="#444"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{fmt.format(v)}</text>')
    return out


def roc_svg(fpr: Sequence[float], tpr: Sequence[float], auc: float | None = None) -> str:
    """ROC curve (false positive rate vs true positive rate) with the chance diagonal."""
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    title = "ROC curve" + (f" (AUC {auc:.3f})" if auc is not None else "")
    parts = _frame(title, "false positive rate", "true positive rate")
    parts += _ticks_x(0, 1) + _ticks_y(0, 1)
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + ph}" x2="{LEFT + pw}" y2="{TOP}" '
        'stroke="#999" stroke-dasharray="4 3"/>'
    )
    points = " ".join(
        f"{LEFT + pw * min(max(float(x), 0), 1):.1f},{TOP + ph - ph * min(max(float(y), 0), 1):.1f}"
        for x, y in zip(fpr, tpr, strict=False)
    )
    parts.append(f'<polyline points="{points}" fill="none" stroke="#1f5fa8" stroke-width="2"/>')
    if auc is not None:
        parts.append(f'<text x="{LEFT + pw - 6}" y="{TOP + ph - 8}" text-anchor="end">AUC = {auc:.3f}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def histogram_svg(
    values: Sequence[float], *, bins: int = 20, unit: str = "ms", title: str = "Latency"
) -> str:
    """Histogram of ``values`` with the median and 95th percentile marked."""
    vals = sorted(float(v) for v in values)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    parts = _frame(f"{title} ({len(vals)} requests)", f"{title.lower()} ({unit})", "requests")
    if not vals:
        parts += [f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle">no data</text>', "</svg>"]
        return "\n".join(parts)
    lo, hi = vals[0], vals[-1]
    if hi <= lo:
        hi = lo + 1.0
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in vals:
        counts[min(int((v - lo) / width), bins - 1)] += 1
    top = max(counts)
    ymax = max(1, math.ceil(top * 1.1))
    parts += _ticks_x(lo, hi, fmt="{:.1f}") + _ticks_y(0, ymax, n=min(5, ymax), fmt="{:.0f}")
    bar_w = pw / bins
    for i, c in enumerate(counts):
        if c:
            h = ph * c / ymax
            parts.append(
                f'<rect x="{LEFT + i * bar_w + 1:.1f}" y="{TOP + ph - h:.1f}" width="{bar_w - 2:.1f}" '
                f'height="{h:.1f}" fill="#5b8fd1"><title>{c}</title></rect>'
            )
    for label, q, colour in (("p50", 0.5, "#2a7a2a"), ("p95", 0.95, "#b03030")):
        v = percentile(vals, q)
        x = LEFT + pw * (v - lo) / (hi - lo)
        parts.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + ph}" stroke="{colour}"/>')
        parts.append(f'<text x="{x + 3:.1f}" y="{TOP + 12}" fill="{colour}">{label} {v:.1f}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile of already sorted values (``q`` in [0, 1])."""
    if not sorted_values:
        return float("nan")
    pos = (len(sorted_values) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)
