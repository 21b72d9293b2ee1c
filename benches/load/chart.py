#!/usr/bin/env python3
"""Draws ringbus / Redis ratios per workload as an SVG bar chart (stdlib only).

    python3 benches/load/chart.py [RESULTS.json] [OUT.svg]

RESULTS.json defaults to benches/load/results/latest.json (the published run),
else target/load/latest.json; OUT.svg to benches/load/chart.svg.

Two panels: throughput (ringbus / Redis requests per second, higher is better) and
cost (CPU per request, memory per event, fan-out latency: lower is better). Each bar
is green when its target is met, red when not; the black tick is the target, the
grey line is parity (1.0).
"""

import json
import os
import sys
from xml.sax.saxutils import escape

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

WIDTH, LABEL_W, BAR_H, GAP, PAD = 900, 380, 18, 8, 20
GREEN, RED, GREY = "#3a9d5d", "#d0463c", "#8a8a8a"


def panel(title, rows, y, scale_max):
    """SVG elements of one panel starting at `y`; returns (elements, next y)."""
    plot_w = WIDTH - LABEL_W - 2 * PAD - 50
    x0 = PAD + LABEL_W
    out = ['<text x="%d" y="%d" font-weight="bold">%s</text>' % (PAD, y + 14, escape(title))]
    y += 26
    top = y
    for r in rows:
        ratio = r.get("paired") or r["ratio"]
        w = plot_w * min(ratio, scale_max) / scale_max
        color = GREEN if r["met"] else RED if r["met"] is False else GREY
        label = r["figure"].replace(": requests/s", "")
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>'
                   % (x0 - 8, y + BAR_H - 4, escape(label)))
        out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>'
                   % (x0, y, w, BAR_H, color))
        tx = None
        if r["target"] is not None:
            tx = x0 + plot_w * min(r["target"], scale_max) / scale_max
            out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black" '
                       'stroke-width="3"/>' % (tx, y - 2, tx, y + BAR_H + 2))
        text_x = max(x0 + w, tx if tx is not None else 0) + 6
        out.append('<text x="%.1f" y="%d">%.2f</text>' % (text_x, y + BAR_H - 4, ratio))
        y += BAR_H + GAP
    one = x0 + plot_w / scale_max
    out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-dasharray="4 3"/>'
               % (one, top - 4, one, y - GAP + 4, GREY))
    out.append('<text x="%.1f" y="%d" fill="%s" text-anchor="middle">1.0</text>'
               % (one, y + 10, GREY))
    return out, y + 24


def render(result):
    rows = [r for r in result["table"] if r["ratio"] is not None and r["unit"] != "n"]
    throughput = [r for r in rows if r["unit"] == "rps"]
    cost = [r for r in rows if r["unit"] != "rps" and r["target"] is not None]
    info = result["machine"]
    version = info["redis"].split("v=")[-1].split(" ")[0]
    elems = ['<text x="%d" y="%d" font-size="15" font-weight="bold">ringbus ÷ redis-server %s, '
             'same run, medians of %d round(s)</text>' % (PAD, PAD + 4, escape(version),
                                                          info["rounds"]),
             '<text x="%d" y="%d" fill="%s">%s x %s, kernel %s, %s</text>'
             % (PAD, PAD + 22, GREY, info["nproc"], escape(info["cpu"]), escape(info["kernel"]),
                escape(info["date"]))]
    y = PAD + 40
    for title, subset in (("Requests per second (higher is better)", throughput),
                          ("CPU, memory, latency (lower is better)", cost)):
        if subset:
            scale = max(2.0, max(r["ratio"] for r in subset) * 1.05)
            part, y = panel(title, subset, y, scale)
            elems += part
    elems.append('<text x="%d" y="%d" fill="%s">bars: ringbus ÷ Redis (median of the paired per-round ratios); green: '
                 'target met, red: missed; black tick: target; dashed line: parity</text>'
                 % (PAD, y, GREY))
    y += 14
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
            'font-family="sans-serif" font-size="12">\n<rect width="100%%" height="100%%" '
            'fill="white"/>\n%s\n</svg>\n' % (WIDTH, y, "\n".join(elems)))


def main():
    default = os.path.join(REPO, "benches", "load", "results", "latest.json")
    if not os.path.exists(default):
        default = os.path.join(REPO, "target", "load", "latest.json")
    src = sys.argv[1] if len(sys.argv) > 1 else default
    dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(REPO, "benches", "load", "chart.svg")
    with open(src) as f:
        result = json.load(f)
    with open(dst, "w") as f:
        f.write(render(result))
    print(dst)


if __name__ == "__main__":
    main()
