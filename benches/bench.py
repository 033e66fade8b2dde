"""Times concerns, DuckDB, Python polars and `wc -l` on the same CSV files, after checking
that the three tabulators agree on every weighted share (total and per generation).

Runs alternate between tools within each round, so machine noise hits all of them alike.
Peak memory comes from /usr/bin/time -v. Results go to a Markdown file.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ITEMS = ["reach_person", "job_loss", "wrong_answers", "data_security", "bias", "other"]

SQL = """
select generation,
       sum(weight::double) as w,
       {sums}
from read_csv('{path}', all_varchar = true)
where ai_familiarity <> 'dont_know_ai'
  and ({answered})
group by rollup(generation)
""".strip()

POLARS = """
import polars as pl, sys
items = {items}
lf = pl.scan_csv(sys.argv[1], infer_schema=False)
w = pl.col("weight").cast(pl.Float64)
answered = pl.any_horizontal([pl.col("concern_" + i).is_not_null() for i in items])
lf = lf.filter((pl.col("ai_familiarity") != "dont_know_ai") & answered)
aggs = [w.sum().alias("w")] + [(w * (pl.col("concern_" + i) == "1").cast(pl.Float64)).sum().alias(i) for i in items]
df = lf.group_by("generation").agg(aggs).collect(engine="streaming")
tot = df.select([pl.col(c).sum() for c in ["w"] + items])
import json
out = {{"total": {{i: tot[i][0] / tot["w"][0] for i in items}}}}
for row in df.iter_rows(named=True):
    out[row["generation"]] = {{i: row[i] / row["w"] for i in items}}
print(json.dumps(out))
""".strip()


# svy (Python, Polars with a Rust core): design-based weighted proportions with Taylor
# standard errors, total and per generation (domains), from the same CSV.
SVY = """
import json, sys, polars as pl, svy
items = {items}
cols = ["concern_" + i for i in items]
df = pl.read_csv(sys.argv[1], infer_schema=False, columns=["generation", "weight", "ai_familiarity"] + cols)
answered = pl.any_horizontal([pl.col(c).is_not_null() for c in cols])
df = df.filter((pl.col("ai_familiarity") != "dont_know_ai") & answered).select(
    pl.col("generation"), pl.col("weight").cast(pl.Float64),
    *[(pl.col(c) == "1").cast(pl.Float64).fill_null(0.0).alias(i) for c, i in zip(cols, items)])
s = svy.Sample(data=df, design=svy.Design(wgt="weight"))
out = {{"total": {{}}}}
for i, e in zip(items, s.estimation.mean(y=items)):
    r = e.to_polars().row(0, named=True)
    out["total"][i] = [r["est"], r["se"]]
for i, e in zip(items, s.estimation.mean(y=items, by="generation")):
    for r in e.to_polars().iter_rows(named=True):
        out.setdefault(r["generation"], {{}})[i] = [r["est"], r["se"]]
print(json.dumps(out))
""".strip()


def duckdb_query(path):
    sums = ",\n       ".join(f"sum(weight::double * (concern_{i} = '1')::int) as {i}" for i in ITEMS)
    answered = " or ".join(f"concern_{i} is not null" for i in ITEMS)
    return SQL.format(sums=sums, answered=answered, path=path)


def commands(path):
    duck = [sys.executable, "-c", f"import duckdb; print(duckdb.sql({duckdb_query(path)!r}).fetchall())"]
    pol = [sys.executable, "-c", POLARS.format(items=ITEMS), path]
    svy = [sys.executable, "-c", SVY.format(items=ITEMS), path]
    return {
        "concerns": ["./target/release/concerns", "table", path, "--by", "generation", "--format", "json"],
        # The same file arriving on standard input through a pipe (spooled to a temporary file
        # first; `< FILE` is read in place, as fast as the file).
        "concerns (pipe)": ["sh", "-c", f"cat '{path}' | ./target/release/concerns table - --by generation --format json"],
        "duckdb": duck,
        "polars": pol,
        "svy": svy,
        "wc -l": ["wc", "-l", path],
    }


def shares_concerns(path, se=False):
    r = json.loads(subprocess.run(commands(path)["concerns"], capture_output=True, check=True, text=True).stdout)
    q = r["questions"][0]
    pick = (lambda i: [i["share"], i["se"]]) if se else (lambda i: i["share"])
    out = {"total": {i["id"]: pick(i) for i in q["items"]}}
    for g in q["by"]:
        out[g["value"]] = {i["id"]: pick(i) for i in g["items"]}
    return out


def shares_duckdb(path):
    import duckdb

    out = {}
    for row in duckdb.sql(duckdb_query(path)).fetchall():
        gen, w, *sums = row
        out[gen or "total"] = {i: s / w for i, s in zip(ITEMS, sums)}
    return out


def shares_polars(path):
    r = subprocess.run(commands(path)["polars"], capture_output=True, check=True, text=True)
    return json.loads(r.stdout)


def shares_svy(path):
    r = subprocess.run(commands(path)["svy"], capture_output=True, check=True, text=True)
    return json.loads(r.stdout)


def agree_se(a, b, name):
    """Shares to 1e-9 and standard errors to a relative 1e-9."""
    for group, items in a.items():
        for item, (share, se) in items.items():
            other, other_se = b[group][item]
            if abs(share - other) > 1e-9 or abs(se - other_se) > 1e-9 * se:
                raise SystemExit(f"{name} disagrees on {group}/{item}: {share} ± {se} vs {other} ± {other_se}")


def agree(a, b, name):
    for group, items in a.items():
        for item, share in items.items():
            other = b[group][item]
            if abs(share - other) > 1e-9:
                raise SystemExit(f"{name} disagrees on {group}/{item}: {share} vs {other}")


def timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def peak_mb(cmd):
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    for line in r.stderr.splitlines():
        if "Maximum resident set size" in line:
            return int(line.split(":")[1]) / 1024
    return float("nan")


BUNDLED = "data/ai-customer-service-2023.csv"


def small_file_times(runs):
    """Medians for the bundled 5,728-row study: the full report (charts included) and a table."""
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        cmds = {
            "report (charts, JSON, Markdown)": ["./target/release/concerns", "report", BUNDLED, "--out", out],
            "table": ["./target/release/concerns", "table", BUNDLED],
        }
        times = {name: [] for name in cmds}
        for _ in range(runs):
            for name, cmd in cmds.items():
                times[name].append(timed(cmd))
    return {name: statistics.median(t) for name, t in times.items()}


def parquet_of(csv):
    """The CSV as DuckDB writes it to Parquet by default (its row groups; text, integer and
    double columns as read_csv_auto types them), next to the CSV and reused."""
    out = csv[: -len(".csv")] + ".parquet"
    if not os.path.exists(out):
        import duckdb
        duckdb.sql(f"COPY (SELECT * FROM read_csv_auto('{csv}')) TO '{out}' (FORMAT PARQUET)")
    return out


def booleans_codebook(parquet):
    """The canonical codebook, saying which codes the BOOLEAN yes/no columns stand for."""
    out = parquet[: -len(".parquet")] + ".toml"
    with open("codebooks/canonical.toml") as f:
        text = f.read()
    with open(out, "w") as f:
        f.write(text + '\n[input.booleans]\ntrue = "yes"\nfalse = "no"\n')
    return out


def duckdb_parquet_query(path):
    sums = ",\n       ".join(
        f"sum(weight::double * (concern_{i}::varchar = '1')::int) as {i}" for i in ITEMS
    )
    answered = " or ".join(f"concern_{i} is not null" for i in ITEMS)
    return SQL.format(sums=sums, answered=answered, path=path).replace(
        f"read_csv('{path}', all_varchar = true)", f"read_parquet('{path}')"
    )


def shares_duckdb_parquet(path):
    import duckdb
    out = {}
    for row in duckdb.sql(duckdb_parquet_query(path)).fetchall():
        g = row[0] or "total"
        out[g] = {i: row[2 + k] / row[1] for k, i in enumerate(ITEMS)}
    return out


def parquet_section(csvs, runs, checks):
    """concerns and DuckDB on the same Parquet file: agreement, then alternating timings."""
    lines = [
        "",
        "The same files as Parquet (DuckDB's `COPY … (FORMAT PARQUET)` of `read_csv_auto`: its",
        "default row groups, text, integer and double columns), both tools reading the Parquet file:",
        "",
        "| file | rows | size | tool | median wall (s) | vs DuckDB | peak RSS (MB) |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for csv in csvs:
        path = parquet_of(csv)
        rows = sum(1 for _ in open(csv, "rb")) - 1
        ours = commands(path)["concerns"] + ["--codebook", booleans_codebook(path)]
        r = json.loads(subprocess.run(ours, capture_output=True, check=True, text=True).stdout)
        q = r["questions"][0]
        shares = {"total": {i["id"]: i["share"] for i in q["items"]}}
        for g in q["by"]:
            shares[g["value"]] = {i["id"]: i["share"] for i in g["items"]}
        agree(shares, shares_duckdb_parquet(path), "duckdb (parquet)")
        cmds = {
            "concerns": ours,
            "duckdb": [sys.executable, "-c", f"import duckdb; print(duckdb.sql({duckdb_parquet_query(path)!r}).fetchall())"],
        }
        times = {name: [] for name in cmds}
        for _ in range(runs):
            for name, cmd in cmds.items():
                times[name].append(timed(cmd))
        med = {name: statistics.median(t) for name, t in times.items()}
        peaks = {name: peak_mb(cmd) for name, cmd in cmds.items()}
        size = os.path.getsize(path) / 1e6
        for name in cmds:
            lines.append(
                f"| {os.path.basename(path)} | {rows:,} | {size:.0f} MB | {name} | {med[name]:.3f} | "
                f"{med[name] / med['duckdb']:.2f}× | {peaks[name]:.0f} |"
            )
            print(lines[-1], flush=True)
        tag = f"{rows:,} rows, Parquet"
        ratio = med["concerns"] / med["duckdb"]
        checks.append((f"{tag}: concerns ≤ 1.0× DuckDB", ratio <= 1.0, f"{ratio:.2f}×"))
        checks.append((f"{tag}: concerns peak RSS under 128 MB", peaks["concerns"] < 128, f"{peaks['concerns']:.0f} MB"))
    return lines


FLOOR = """
SELECT generation, switch_intent, {state} AS state,
       count(*) AS n, sum(weight::DOUBLE) AS w, sum(weight::DOUBLE * weight::DOUBLE) AS w2
FROM responses
WHERE ai_familiarity <> 'dont_know_ai'
GROUP BY ALL
""".strip()


def sql_section(csv, runs, checks):
    """`concerns sql`'s query on DuckDB against the floor: a plain GROUP BY of the same sums
    (per generation, switch intent and answer pattern: n, Σw, Σw²) with none of the checks.
    Both run in one DuckDB process on the file loaded as a text table; the query's sums are
    first checked to give `table`'s JSON through `table --sums`."""
    import tempfile
    import duckdb
    rows = sum(1 for _ in open(csv, "rb")) - 1
    query = subprocess.run(
        ["./target/release/concerns", "sql", "--dialect", "duckdb", "--table", "responses", "--by", "generation"],
        capture_output=True, check=True, text=True).stdout
    con = duckdb.connect()
    con.execute(f"CREATE TABLE responses AS SELECT * FROM read_csv('{csv}', all_varchar = true)")
    with tempfile.TemporaryDirectory() as tmp:
        sums = os.path.join(tmp, "sums.csv")
        con.execute(f"COPY ({query}) TO '{sums}' (HEADER)")
        args = ["--by", "generation", "--format", "json"]
        from_sums = subprocess.run(["./target/release/concerns", "table", "--sums", sums] + args,
                                   capture_output=True, check=True, text=True).stdout
        from_file = subprocess.run(["./target/release/concerns", "table", csv] + args,
                                   capture_output=True, check=True, text=True).stdout
        strip = lambda t: {k: v for k, v in json.loads(t).items() if k != "input"}
        if strip(from_sums) != strip(from_file):
            sys.exit("concerns sql: the sums do not give the file's JSON")
    items = ["reach_person", "job_loss", "wrong_answers", "data_security", "bias", "other"]
    state = " + ".join(f"(CASE WHEN concern_{it} = '1' THEN {1 << (k + 1)} ELSE 0 END)"
                       for k, it in enumerate(items))
    floor = FLOOR.format(state=state)
    times = {"concerns sql": [], "plain GROUP BY": []}
    for _ in range(runs):
        for name, q in [("concerns sql", query), ("plain GROUP BY", floor)]:
            t = time.perf_counter()
            con.execute(q).fetchall()
            times[name].append(time.perf_counter() - t)
    med = {name: statistics.median(t) for name, t in times.items()}
    ratio = med["concerns sql"] / med["plain GROUP BY"]
    checks.append((f"{rows:,} rows: `concerns sql` on DuckDB within 3× a plain GROUP BY", ratio <= 3, f"{ratio:.1f}×"))
    return [
        "",
        f"`concerns sql --by generation` on DuckDB ({rows:,} rows loaded as a text table, in one process),",
        "against the floor: a plain `GROUP BY` of the same sums without any check (the query's sums",
        "were first checked to give the file's JSON through `table --sums`):",
        "",
        "| query | median (s) | vs the floor |",
        "| --- | ---: | ---: |",
    ] + [f"| {name} | {med[name]:.3f} | {med[name] / med['plain GROUP BY']:.1f}× |" for name in times]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", required=True)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    checks = []
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {os.cpu_count()} cores. Produced by `benches/run.sh {args.runs}`; medians of {args.runs} alternating runs, warm cache.",
        "Every tool computes the weighted share of each concern among kept respondents, total and per generation;",
        "concerns, DuckDB and polars were checked to agree on every share to 1e-9, and concerns and svy on every",
        "share and its design-based standard error (Taylor; svy's domains for the generations) to 1e-9, before timing.",
        "",
        "| file | rows | size | tool | median wall (s) | vs DuckDB | vs polars | vs svy | peak RSS (MB) |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for path in args.files:
        rows = sum(1 for _ in open(path, "rb")) - 1
        size = os.path.getsize(path) / 1e6
        ours = shares_concerns(path)
        agree(ours, shares_duckdb(path), "duckdb")
        agree(ours, shares_polars(path), "polars")
        agree_se(shares_concerns(path, se=True), shares_svy(path), "svy")
        cmds = commands(path)
        times = {name: [] for name in cmds}
        for _ in range(args.runs):
            for name, cmd in cmds.items():
                times[name].append(timed(cmd))
        med = {name: statistics.median(t) for name, t in times.items()}
        peaks = {name: peak_mb(cmd) for name, cmd in cmds.items()}
        for name in cmds:
            lines.append(
                f"| {os.path.basename(path)} | {rows:,} | {size:.0f} MB | {name} | {med[name]:.3f} | "
                f"{med[name] / med['duckdb']:.2f}× | {med[name] / med['polars']:.2f}× | "
                f"{med[name] / med['svy']:.2f}× | {peaks[name]:.0f} |"
            )
            print(lines[-1], flush=True)
        ours = med["concerns"]
        tag = f"{rows:,} rows"
        checks.append((f"{tag}: concerns ≤ 0.5× DuckDB", ours / med["duckdb"] <= 0.5, f"{ours / med['duckdb']:.2f}×"))
        checks.append((f"{tag}: concerns ≤ 0.5× Python polars", ours / med["polars"] <= 0.5, f"{ours / med['polars']:.2f}×"))
        checks.append((f"{tag}: concerns faster than svy", ours < med["svy"], f"{med['svy'] / ours:.0f} times as fast"))
        if rows >= 10_000_000:
            for name in ["concerns", "concerns (pipe)"]:
                checks.append((f"{tag}: {name} peak RSS under 64 MB", peaks[name] < 64, f"{peaks[name]:.0f} MB"))
        if rows <= 1_000_000:
            checks.append((f"{tag}: under 0.5 s", ours < 0.5, f"{ours:.3f} s"))
    lines += parquet_section(args.files, args.runs, checks)
    lines += sql_section(args.files[0], args.runs, checks)
    small = small_file_times(max(args.runs, 10))
    lines += [
        "",
        "The bundled 5,728-row study (medians of at least 10 runs):",
        "",
        "| command | median wall (ms) |",
        "| --- | ---: |",
    ]
    for name, t in small.items():
        lines.append(f"| `{name}` | {t * 1000:.0f} |")
    checks.append(("bundled report with all charts under 200 ms", small["report (charts, JSON, Markdown)"] < 0.2,
                   f"{small['report (charts, JSON, Markdown)'] * 1000:.0f} ms"))
    checks.append(("bundled table under 50 ms", small["table"] < 0.05, f"{small['table'] * 1000:.0f} ms"))
    lines += ["", "Targets (issues 6, 15 and 27):", "", "| target | met | measured |", "| --- | :---: | ---: |"]
    for name, ok, value in checks:
        lines.append(f"| {name} | {'yes' if ok else '**no**'} | {value} |")
    print("\n".join(lines[-len(checks) - 4:]), flush=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
