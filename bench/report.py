#!/usr/bin/env python3
"""bench/report.py: medians, ratios, the table and the TSV of one bench/run.

Reads the raw rows bench/run wrote (one per run: workload, system, rep,
status, wall seconds, proxy CPU-seconds, units, connections, p50 ms, p99 ms,
RSS at rest KiB, RSS loaded KiB, detail, and for restic the client's own
CPU-seconds), prints the table, writes the TSV and, with --png, a bar chart
through gnuplot.

Figures, per workload and system (medians over the repetitions, each figure
on its own):
  rate      MiB/s (uploads, downloads) or requests/s
  per_cpu   the same per CPU-second of the system under test (utime + stime
            of its processes): MiB or requests per proxy CPU-second
  cost      proxy CPU-seconds per GiB, or per 10,000 requests
  cpu_use   proxy CPU-seconds per wall second (1.0 = one core busy)
  p50, p99  request latency seen by h2load, milliseconds
  idle      KiB of RSS per idle connection; rest: RSS at rest, MiB
  restic-backup, restic-restore (bytes of the source per restic command):
  wall      restic's wall time, seconds
  client    restic's own CPU-seconds per GiB (user + system)
Ratios compare sluice (sluice-maint for the refusal workload) with each
peer: rate and per_cpu as sluice/peer (above 1: sluice better); idle as
peer/sluice (above 1: sluice uses less memory per connection). sluice-b and
sluice-maint are compared with sluice the same way (sluice-b/sluice above 1:
build B does better); sluice-wN ([proxy] workers = N) with sluice-w1, or
with sluice when sluice-w1 did not run (sluice-w2/sluice-w1 above 1: two
workers do better).
"""
import argparse
import math
import statistics
import subprocess
import sys

RAW_FIELDS = ["workload", "system", "rep", "status", "wall", "cpu", "units", "conns",
              "p50", "p99", "rss_rest", "rss_loaded", "detail", "client_cpu"]
SYSTEM_ORDER = ["direct", "sluice", "sluice-b", "sluice-maint", "haproxy", "haproxy64k", "nginx", "nginx-b", "hitch"]
PEERS = ["haproxy", "haproxy64k", "nginx", "hitch", "direct"]
RESTIC_WORKLOADS = {"restic-backup", "restic-restore"}
BYTES_WORKLOADS = {"upload-1m", "upload-8m", "upload-pipe", "download-1m"} | RESTIC_WORKLOADS
MIB, GIB = 1 << 20, 1 << 30
NAN = float("nan")


def base(workload):
    """upload-1m@nginx (bench/run --upstream repo,nginx): upload-1m."""
    return workload.split("@")[0]


def is_workers(system):
    """sluice-wN: sluice with [proxy] workers = N."""
    return system.startswith("sluice-w") and system[8:].isdigit()


def system_order(summary):
    """SYSTEM_ORDER with the sluice-wN that ran after sluice-b, by N."""
    workers = sorted({s for _, s in summary if is_workers(s)}, key=lambda s: int(s[8:]))
    i = SYSTEM_ORDER.index("sluice-b") + 1
    return SYSTEM_ORDER[:i] + workers + SYSTEM_ORDER[i:]


def number(text):
    try:
        return float(text)
    except ValueError:
        return NAN


def median(values):
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else NAN


def read_raw(path):
    runs = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            cells = line.rstrip("\n").split("\t")
            if len(cells) < len(RAW_FIELDS):
                cells += [""] * (len(RAW_FIELDS) - len(cells))
            r = dict(zip(RAW_FIELDS, cells))
            runs.setdefault((r["workload"], r["system"]), []).append(r)
    return runs


def run_figures(workload, r):
    """The figures of one successful run."""
    wall, cpu, units = number(r["wall"]), number(r["cpu"]), number(r["units"])
    if workload == "idle":
        conns, rest, loaded = number(r["conns"]), number(r["rss_rest"]), number(r["rss_loaded"])
        return {"idle": (loaded - rest) / conns, "rest": rest / 1024}
    scale = MIB if base(workload) in BYTES_WORKLOADS else 1
    per_cost = GIB if base(workload) in BYTES_WORKLOADS else 10000
    f = {"rate": units / scale / wall if wall > 0 else NAN,
         "per_cpu": units / scale / cpu if cpu > 0 else NAN,
         "cost": cpu / (units / per_cost) if units > 0 else NAN,
         "cpu_use": cpu / wall if wall > 0 else NAN,
         "p50": number(r["p50"]), "p99": number(r["p99"])}
    if workload in RESTIC_WORKLOADS:
        f["wall"] = wall
        f["client"] = number(r["client_cpu"]) / (units / GIB) if units > 0 else NAN
    return f


def summarise(runs):
    """{(workload, system): {figure: median, "reps": n, "errors": n}}."""
    out = {}
    for (workload, system), rows in runs.items():
        ok = [run_figures(workload, r) for r in rows if r["status"] == "ok"]
        s = {"reps": len(ok), "errors": len(rows) - len(ok)}
        for key in (ok[0].keys() if ok else []):
            s[key] = median([f[key] for f in ok])
        s["detail"] = "; ".join(r["detail"] for r in rows if r["status"] != "ok" and r["detail"])
        out[(workload, system)] = s
    return out


def ratios(summary, workloads):
    """[(workload, "sluice/peer", {figure: ratio})], plus the maintenance cost."""
    out = []
    for w in workloads:
        nb, ng = summary.get((w, "nginx-b")), summary.get((w, "nginx"))
        if nb and ng and w != "idle":
            out.append((w, "nginx-b/nginx", {k: nb.get(k, NAN) / ng.get(k, NAN) for k in ("rate", "per_cpu")}))
        ours = summary.get((w, "sluice-maint" if w == "refuse" else "sluice"))
        if not ours:
            continue
        for peer in PEERS:
            theirs = summary.get((w, peer))
            if not theirs:
                continue
            if w == "idle":
                r = {"idle": theirs.get("idle", NAN) / ours.get("idle", NAN)}
            else:
                r = {k: ours.get(k, NAN) / theirs.get(k, NAN) for k in ("rate", "per_cpu")}
            out.append((w, ("sluice-maint/" if w == "refuse" else "sluice/") + peer, r))
        for other in ("sluice-b", "sluice-maint"):
            x = summary.get((w, other))
            if not x or w == "refuse":
                continue
            if w == "idle":
                r = {"idle": ours.get("idle", NAN) / x.get("idle", NAN)}
            else:
                r = {k: x.get(k, NAN) / ours.get(k, NAN) for k in ("rate", "per_cpu")}
            out.append((w, other + "/sluice", r))
    return out + workers_ratios(summary, workloads)


def workers_ratios(summary, workloads):
    """[(workload, "sluice-wN/sluice-w1", {figure: ratio})]: each worker count
    against one worker (sluice-w1, else sluice, which runs one)."""
    out = []
    for w in workloads:
        base_name = "sluice-w1" if (w, "sluice-w1") in summary else "sluice"
        base = summary.get((w, base_name))
        if not base:
            continue
        for system in system_order(summary):
            x = summary.get((w, system))
            if not x or not is_workers(system) or system == base_name:
                continue
            keys = ("idle",) if w == "idle" else ("rate", "per_cpu")
            r = {k: (base.get(k, NAN) / x.get(k, NAN) if k == "idle" else x.get(k, NAN) / base.get(k, NAN))
                 for k in keys}
            out.append((w, f"{system}/{base_name}", r))
    return out


def fmt(value, digits=0):
    if value is None or math.isnan(value):
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def units_of(workload):
    if base(workload) in BYTES_WORKLOADS:
        return "MiB/s", "MiB/CPU-s", "CPU-s/GiB"
    return "req/s", "req/CPU-s", "CPU-s/10k"


def table_lines(summary, ratio_rows, workloads):
    lines = []
    for w in workloads:
        systems = [s for s in system_order(summary) if (w, s) in summary]
        if not systems:
            continue
        if w == "idle":
            lines.append(f"{w:<12} {'system':<13} {'KiB/conn':>10} {'rest MiB':>10}")
            for s in systems:
                f = summary[(w, s)]
                lines.append(f"{'':<12} {s:<13} {fmt(f.get('idle'), 1):>10} {fmt(f.get('rest'), 1):>10}"
                             + error_note(f))
        elif w in RESTIC_WORKLOADS:
            rate, per, cost = units_of(w)
            lines.append(f"{w:<14} {'system':<11} {rate:>10} {per:>10} {cost:>10} {'CPU use':>8}"
                         f" {'restic s':>8} {'restic CPU-s/GiB':>17}")
            for s in systems:
                f = summary[(w, s)]
                lines.append(f"{'':<14} {s:<11} {fmt(f.get('rate')):>10} {fmt(f.get('per_cpu')):>10}"
                             f" {fmt(f.get('cost'), 3):>10} {fmt(f.get('cpu_use'), 2):>8}"
                             f" {fmt(f.get('wall'), 1):>8} {fmt(f.get('client'), 2):>17}" + error_note(f))
        else:
            rate, per, cost = units_of(w)
            lines.append(f"{w:<12} {'system':<13} {rate:>10} {per:>10} {cost:>10} {'CPU use':>8}"
                         f" {'p50 ms':>8} {'p99 ms':>8}")
            for s in systems:
                f = summary[(w, s)]
                lines.append(f"{'':<12} {s:<13} {fmt(f.get('rate')):>10} {fmt(f.get('per_cpu')):>10}"
                             f" {fmt(f.get('cost'), 3):>10} {fmt(f.get('cpu_use'), 2):>8}"
                             f" {fmt(f.get('p50'), 2):>8} {fmt(f.get('p99'), 2):>8}" + error_note(f))
        for rw, name, r in ratio_rows:
            if rw != w:
                continue
            if w == "idle":
                lines.append(f"{'':<12} {name:<24} memory/conn: peer / sluice = {fmt(r['idle'], 2)}")
            else:
                lines.append(f"{'':<12} {name:<24} rate {fmt(r['rate'], 2)}   per CPU-s {fmt(r['per_cpu'], 2)}")
        lines.append("")
    return lines


def error_note(f):
    if f["errors"]:
        return f"   ({f['errors']} failed run(s): {f['detail'] or 'see the log'})"
    return ""


def write_tsv(path, meta, summary, ratio_rows, workloads):
    columns = ["workload", "system", "reps", "errors", "rate", "rate_unit", "per_cpu", "per_cpu_unit",
               "cost", "cost_unit", "cpu_use", "p50_ms", "p99_ms", "idle_kib_per_conn", "rest_mib",
               "client_wall_s", "client_cpu_s_per_gib"]
    with open(path, "w", encoding="utf-8") as f:
        for item in meta:
            key, _, value = item.partition("=")
            f.write(f"# {key}: {value}\n")
        f.write("\t".join(columns) + "\n")
        for w in workloads:
            rate_u, per_u, cost_u = units_of(w) if w != "idle" else ("", "", "")
            for s in system_order(summary):
                x = summary.get((w, s))
                if not x:
                    continue
                cells = [w, s, x["reps"], x["errors"], x.get("rate"), rate_u, x.get("per_cpu"), per_u,
                         x.get("cost"), cost_u, x.get("cpu_use"), x.get("p50"), x.get("p99"),
                         x.get("idle"), x.get("rest"), x.get("wall"), x.get("client")]
                f.write("\t".join(tsv_cell(c) for c in cells) + "\n")
        f.write("# ratios: rate and per_cpu = sluice / peer; idle_kib_per_conn = peer / sluice\n")
        for w, name, r in ratio_rows:
            cells = [w, name, "", "", r.get("rate"), "ratio", r.get("per_cpu"), "ratio", None, "", None,
                     None, None, r.get("idle"), None, None, None]
            f.write("\t".join(tsv_cell(c) for c in cells) + "\n")


def tsv_cell(c):
    if c is None:
        return ""
    if isinstance(c, float):
        return "" if math.isnan(c) else f"{c:.4g}" if abs(c) < 10 else f"{c:.1f}"
    return str(c)


def plot(png, summary, workloads):
    """Per proxy CPU-second relative to HAProxy (idle: HAProxy's KiB/conn over each)."""
    systems = [s for s in system_order(summary) if s != "sluice-maint" and any((w, s) in summary for w in workloads)]
    data = []
    for w in workloads:
        base = summary.get((w, "haproxy"))
        if not base:
            continue
        cells = []
        for s in systems:
            key = "sluice-maint" if (w == "refuse" and s == "sluice") else s
            x = summary.get((w, key))
            if not x:
                cells.append("NaN")
            elif w == "idle":
                cells.append(f"{base.get('idle', NAN) / x.get('idle', NAN):.3f}")
            else:
                cells.append(f"{x.get('per_cpu', NAN) / base.get('per_cpu', NAN):.3f}")
        data.append(w + " " + " ".join(c if c != "nan" else "NaN" for c in cells))
    if not data:
        return
    series = ", ".join(f"'-' using {i + 2}:xtic(1) title '{s}'" for i, s in enumerate(systems))
    script = [f"set terminal pngcairo size 1200,600 noenhanced" if has_cairo() else
              "set terminal png size 1200,600 noenhanced",
              f"set output '{png}'", "set style data histograms", "set style histogram cluster gap 1",
              "set style fill solid border -1", "set boxwidth 0.9", "set grid ytics",
              "set title 'Work per CPU-second of the system under test, relative to HAProxy "
              "(idle: memory per connection, HAProxy / system; refuse: sluice-maint); higher is better'",
              "set ylabel 'relative to HAProxy'", "set key outside right", "set yrange [0:*]",
              f"plot {series}"]
    body = "\n".join(script) + "\n" + ("\n".join(data) + "\ne\n") * len(systems)
    subprocess.run(["gnuplot"], input=body, text=True, check=True)


def has_cairo():
    out = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" in out.stdout + out.stderr


def short(value):
    """A compact table cell: 1,234 below 10,000, 12.3k from there up."""
    return f"{value / 1000:.1f}k" if value >= 10000 else f"{value:,.0f}"


def summary_lines(path):
    """The compact table of a recorded TSV (README, bench/README): per
    workload, each system's "throughput; per CPU-second" (idle: KiB per
    connection) and sluice's per-CPU-second ratios to the peers."""
    rows, head = {}, None
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cells = line.rstrip("\n").split("\t")
            if head is None:
                head = cells
                continue
            r = dict(zip(head, cells))
            if r["workload"] in ("", "ratio") or "/" in r["system"]:
                continue
            rows[(r["workload"], r["system"])] = r
    peers = ["direct", "sluice", "haproxy", "haproxy64k", "nginx", "hitch"]
    names = ["direct", "sluice", "HAProxy", "HAProxy 64k", "nginx", "hitch"]
    lines = [f"{'workload':<16}" + "".join(f"{n:>14}" for n in names) + "  s/HAP s/64k s/ngx s/hit"]
    workloads = list(dict.fromkeys(w for w, _ in rows))
    for w in workloads:
        ours = rows.get((w, "sluice-maint" if w == "refuse" else "sluice"))
        cells, ratios = [], []
        for sysname in peers:
            r = rows.get((w, "sluice-maint" if (w, sysname) == ("refuse", "sluice") else sysname))
            if r is None:
                cells.append("-")
            elif w == "idle":
                cells.append(f"{float(r['idle_kib_per_conn']):.1f}")
            else:
                cells.append(f"{short(float(r['rate']))}; {short(float(r['per_cpu']))}")
        for sysname in peers[2:]:
            r = rows.get((w, sysname))
            if r is None or ours is None:
                ratios.append("-")
            elif w == "idle":
                ratios.append(f"{float(r['idle_kib_per_conn']) / float(ours['idle_kib_per_conn']):.2f}")
            else:
                ratios.append(f"{float(ours['per_cpu']) / float(r['per_cpu']):.2f}")
        label = {"upload-1m": "upload-1m MiB/s", "small": "small req/s", "refuse": "refuse (maint)",
                 "idle": "idle KiB/conn"}.get(w, w)
        lines.append(f"{label:<16}" + "".join(f"{c:>14}" for c in cells)
                     + "".join(f"{x:>6}" for x in ratios))
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--summary", metavar="TSV",
                   help="print the compact table of a recorded bench/results TSV, and nothing else")
    p.add_argument("--raw")
    p.add_argument("--tsv")
    p.add_argument("--png")
    p.add_argument("--meta", action="append", default=[], help="key=value for the TSV's head")
    a = p.parse_args()
    if a.summary:
        print("\n".join(summary_lines(a.summary)))
        return 0
    if not (a.raw and a.tsv):
        p.error("--raw and --tsv are required (or --summary TSV)")
    runs = read_raw(a.raw)
    workloads = list(dict.fromkeys(w for w, _ in runs))
    summary = summarise(runs)
    ratio_rows = ratios(summary, workloads)
    for item in a.meta:
        key, _, value = item.partition("=")
        print(f"{key}: {value}")
    print()
    print("\n".join(table_lines(summary, ratio_rows, workloads)))
    write_tsv(a.tsv, a.meta, summary, ratio_rows, workloads)
    if a.png:
        plot(a.png, summary, workloads)
    return 1 if any(s["errors"] for s in summary.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
