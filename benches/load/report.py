"""Turns the medians of a load comparison into target rows and a markdown report."""

from workloads import FANOUTS, MEMORY, READERS, TRACKS, WORKLOADS


import statistics


def _ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def paired_ratios(samples, workload, key):
    """ringbus / Redis for `key` within each round of `workload`: the two runs of a
    round are back to back, so a change in the machine's load between rounds (the
    machines are shared) cancels out of each pair."""
    by_round = {}
    for s in samples:
        if s["workload"] == workload and s.get(key) is not None:
            by_round.setdefault(s["round"], {})[s["server"]] = s[key]
    return [_ratio(p["ringbus"], p["redis"]) for p in by_round.values()
            if "ringbus" in p and "redis" in p and p["redis"]]


def _row(figure, unit, rb, rd, target, higher_is_better, pairs=None):
    """A figure: the medians, their ratio, and the median of the per-round (paired)
    ratios, which is what the target is judged on."""
    ratio = _ratio(rb, rd)
    paired = statistics.median(pairs) if pairs else ratio
    met = None
    if paired is not None and target is not None:
        met = paired >= target if higher_is_better else paired <= target
    return {
        "figure": figure,
        "unit": unit,
        "ringbus": rb,
        "redis": rd,
        "ratio": ratio,
        "paired": paired,
        "target": target,
        "op": ">=" if higher_is_better else "<=",
        "met": met,
    }


def memory_title(scenario, m):
    """A memory scenario's title with the sizes it ran at (`m`: one server's
    medians), which `--quick` scales down."""
    if "readers" in scenario:
        return scenario["title"].format(readers=int(m.get("readers", scenario["readers"])))
    streams = m.get("streams")
    sessions = int(streams) // len(TRACKS) if streams else scenario["sessions"]
    return scenario["title"].format(sessions=sessions, events=scenario["events"])


def _interval_ms(m):
    """Milliseconds between appends, as the producer managed them."""
    events = m.get("events")
    return m["produce_s"] * 1000 / events if events and m.get("produce_s") else None


def rows(medians, samples=()):
    """One row per figure present in `medians` (`samples` give the paired ratios)."""
    out = []

    def pairs(workload, key):
        return paired_ratios(samples, workload, key)

    for w in WORKLOADS:
        m = medians.get(w["name"])
        if not m or "ringbus" not in m or "redis" not in m:
            continue
        rb, rd, t = m["ringbus"], m["redis"], w["targets"]
        name = w["name"]
        out.append(_row("%s: requests/s" % w["title"], "rps", rb["rps"], rd["rps"],
                        t.get("rps"), True, pairs(name, "rps")))
        out.append(_row("%s: CPU per request" % w["title"], "us", rb["cpu_us_per_req"],
                        rd["cpu_us_per_req"], t.get("cpu"), False,
                        pairs(name, "cpu_us_per_req")))
    for f in FANOUTS:
        m = medians.get(f["name"])
        if not m or "ringbus" not in m or "redis" not in m:
            continue
        rb, rd, t, title = m["ringbus"], m["redis"], f["targets"], f["title"]
        name = f["name"]
        out.append(_row("%s: CPU per delivery" % title, "us", rb.get("cpu_per_delivery_us"),
                        rd.get("cpu_per_delivery_us"), t.get("cpu"), False,
                        pairs(name, "cpu_per_delivery_us")))
        out.append(_row("%s: p99 append-to-delivery" % title, "us", rb["p99_us"],
                        rd["p99_us"], t.get("p99"), False, pairs(name, "p99_us")))
        out.append(_row("%s: p50 append-to-delivery" % title, "us", rb["p50_us"],
                        rd["p50_us"], None, False, pairs(name, "p50_us")))
        # What the producer achieved: a server that answers its XADD late slows
        # it down, and is then measured at a lower load than asked for.
        out.append(_row("%s: append interval achieved (asked %d ms)" % (title, f["interval_ms"]),
                        "ms", _interval_ms(rb), _interval_ms(rd), None, False))
        row = _row("%s: deliveries (of %d)" % (title, rb["expected"]), "n", rb["delivered"],
                   rd["delivered"], None, True)
        row["met"] = rb["delivered"] == rb["expected"] and rd["delivered"] == rd["expected"]
        out.append(row)
    for s in MEMORY:
        m = medians.get(s["name"])
        if m and "ringbus" in m and "redis" in m:
            out.append(_row("Memory per event: %s" % memory_title(s, m["ringbus"]), "B",
                            m["ringbus"]["bytes_per_event"], m["redis"]["bytes_per_event"],
                            s["target"], False))
    for s in READERS:
        m = medians.get(s["name"])
        if m and "ringbus" in m and "redis" in m:
            for key, when in (("bytes_per_reader_parked", "parked"),
                              ("bytes_per_reader_served", "after a delivery")):
                title = memory_title(s, m["ringbus"])
                out.append(_row("Memory per reader: %s, %s" % (title, when), "B",
                                m["ringbus"][key], m["redis"][key], None, False))
    return out


def _fmt(v, unit):
    if v is None:
        return "-"
    if unit == "rps":
        return "{:,.0f}".format(v)
    if unit == "n":
        return "{:,.0f}".format(v)
    if unit == "B":
        return "{:,.0f}".format(v)
    return "{:.3g}".format(v) if v < 100 else "{:,.0f}".format(v)


def markdown(result):
    """The report: workloads in full, then every targeted figure."""
    med, info = result["medians"], result["machine"]
    lines = [
        "Machine: %s x %s, kernel %s; %s; load average at start %s, end %s; "
        "%d round(s)%s%s." % (
            info["nproc"], info["cpu"], info["kernel"], info["redis"],
            "/".join("%.2f" % x for x in info["loadavg_start"]),
            "/".join("%.2f" % x for x in info.get("loadavg_end", ())),
            info["rounds"], ", quick mode" if info["quick"] else "",
            "; ringbus run with `%s`" % " ".join(info["ringbus_args"])
            if info.get("ringbus_args") else ""),
        "",
        "| workload | server | requests/s | p50 ms | p99 ms | CPU µs/request |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for w in WORKLOADS:
        for srv in ("ringbus", "redis"):
            m = med.get(w["name"], {}).get(srv)
            if m:
                lines.append("| %s | %s | %s | %.3f | %.3f | %.3f |" % (
                    w["title"], srv, _fmt(m["rps"], "rps"), m["p50_ms"], m["p99_ms"],
                    m["cpu_us_per_req"]))
    for f in FANOUTS:
        for srv in ("ringbus", "redis"):
            m = med.get(f["name"], {}).get(srv)
            if m:
                lines.append("| %s: %d readers x %d appends | %s | delivered %d/%d | %.2f | "
                             "%.2f | %s per delivery |" % (
                                 f["title"], m["clients"], m["events"], srv, m["delivered"],
                                 m["expected"], m["p50_us"] / 1000, m["p99_us"] / 1000,
                                 _fmt(m.get("cpu_per_delivery_us"), "us")))
    lines += ["", "Ratios are ringbus ÷ Redis. *ratio of medians*: of the medians shown; "
              "*paired ratio*: the median over rounds of each round's ratio (the two "
              "runs of a round are back to back), which targets are judged on.", "",
              "| figure | ringbus | Redis | ratio of medians | paired ratio | target | met |",
              "|---|---:|---:|---:|---:|---:|:---:|"]
    for r in result["table"]:
        unit = {"rps": "", "us": " µs", "B": " B", "n": "", "ms": " ms"}[r["unit"]]
        paired = r.get("paired")
        lines.append("| %s | %s%s | %s%s | %s | %s | %s | %s |" % (
            r["figure"], _fmt(r["ringbus"], r["unit"]), unit, _fmt(r["redis"], r["unit"]),
            unit, "-" if r["ratio"] is None else "%.2f" % r["ratio"],
            "-" if paired is None else "%.2f" % paired,
            "-" if r["target"] is None else "%s %.1f" % (r["op"], r["target"]),
            {True: "yes", False: "**no**", None: ""}[r["met"]]))
    return "\n".join(lines) + "\n"
