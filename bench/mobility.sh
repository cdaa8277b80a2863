#!/usr/bin/env bash
# The mobility benchmark (issue 12), one run, every figure beside a baseline
# measured in the same run, each phase in a child process that reports its own
# peak resident size:
#  (a) segmentation and mode inference of 1,000,000 generated raw points, in
#      memory, against one plain pass of haversine distances over them;
#  (b) a generated Takeout Records.json of SIZE_MB (written streamed to a
#      temporary directory) imported by selfdata's streaming reader through to
#      trips, against a plain streaming serde_json parse of the same file; the
#      file read whole (what every path did before the import took a file);
#      `selfdata import` end to end (App::import_file on the file where it is);
#      and a page's upload over HTTP on loopback (spooled sealed, imported);
#  (c) the mobility pages and API of a pod holding a year of trips, server
#      time, against the same trips SELECTed from a bare SQLite table.
# Writes bench/results/mobility-<date>.json and bench/results/mobility-<date>.md.
# Knobs: SIZE_MB (default 500), REQUESTS (timed requests per page or API
# measure, default 300), POINTS (default 1000000), ROUNDS (default 3),
# TMPDIR (where the file is written), SKIP_APP=1 (leave out the two
# end-to-end imports of the big file); CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
cargo build --release --locked -p selfdata-bench
build_s=$(( $(date +%s) - started ))
bin=${CARGO_TARGET_DIR:-target}/release/selfdata-bench
day=$(date -u +%Y-%m-%d)
out=bench/results/mobility-$day.json
skip=()
if [ -n "${SKIP_APP:-}" ]; then skip=(--skip-app); fi
"$bin" mobility --size-mb "${SIZE_MB:-500}" --requests "${REQUESTS:-300}" \
  --points "${POINTS:-1000000}" --rounds "${ROUNDS:-3}" "${skip[@]}" > "$out"
python3 - "$out" "$build_s" > "bench/results/mobility-$day.md" <<'PY'
import json, sys, subprocess
r = json.load(open(sys.argv[1]))
build_s = int(sys.argv[2])
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
s, b, p = r["segment"], r["records"], r["pages"]
missed = []

def x(v):
    if v is None:
        return "—"
    if v >= 1:
        return f"{v:.1f}×"
    if v >= 0.9:
        return f"{v:.2f}×"
    return f"{v:.2f}× ({1 / v:.1f}× faster)" if v > 0.1 else f"{v:.2f}× ({1 / v:.0f}× faster)"

def ms(d):
    return f"{d['p50']:.2f} / {d['p99']:.2f} ms" if "p50" in d else f"not measured: {d}"

def judge(ok, target, what):
    if not ok:
        missed.append(f"{what}: {target}")
    return f"{target}: {'met' if ok else '**missed**'}"

print(f"# Mobility benchmark (commit {commit}, `bash bench/mobility.sh`, release build {build_s} s)\n")
print("One run on one machine; each phase in a child process of the benchmark, which reports its own peak "
      "resident size (VmHWM, the process included). Ratios are selfdata ÷ the baseline of the same run "
      "(lower is better, 1× = as fast as the baseline).\n")

a = s["agreement"]
print(f"## (a) Segmentation and mode inference, {s['points']:,} points in memory\n")
print(f"A generated history of {s['days']} days (a resident of Lyon: commutes by bike, tram, bus or car, "
      "lunch on foot, shops, family by car, days out by train; a point every 4–20 s on the move, halts at lights and "
      "stations, every 1–25 min at a stay; position errors drifting from fix to fix as GPS errors do, 0.3 % of fixes "
      "kilometres off, 0.5 % cell-tower fixes, the phone off during one trip on 4 % of days). "
      f"Median of {s['rounds']} rounds.\n")
total_ms = s["segment_and_modes_ms"]
print("| measure | selfdata | baseline (one haversine pass over the points) | ratio | target |")
print("|---|--:|--:|--:|---|")
print(f"| `segment` + `infer_modes` | {total_ms:.0f} ms | {s['haversine_pass_ms']:.1f} ms | {x(s['segment_and_modes_vs_haversine'])} | {judge(total_ms < 1000, '< 1 s', '1M points segmented')} |")
print(f"| of which `segment` (clean, stays, trips) | {s['segment_ms']:.0f} ms | | | |")
print(f"| of which `infer_modes` | {s['infer_modes_ms']:.0f} ms | | | |")
print(f"| `trips_of` (the same, each path simplified, as an import runs it) | {s['trips_of_ms']:.0f} ms | | {x(s['trips_of_vs_haversine'])} | |")
print(f"| peak RSS of the phase (points generated, copied, segmented) | {s['peak_rss_mb']:.0f} MB | | | |")
print()
print(f"Found: {s['trips']:,} trips, {s['stops']:,} stops, {s['gaps']:,} gaps from {s['points_after_cleaning']:,} points kept "
      f"after cleaning. Of the {a['made']:,} trips the history made, {a['matched']:,} were found "
      f"({100 * a['matched'] / max(a['made'], 1):.0f} %), {a['mode_right']:,} with the mode it was made by "
      f"({100 * a['mode_right'] / max(a['matched'], 1):.0f} % of those found). {a['found_matching_none']:,} trips found match none made, "
      f"{a['found_matching_none_of_3_points_or_fewer']:,} of them of 3 points or fewer (short excursions from a stay "
      "made of a few stray fixes; a single stray fix between two points of one stay is dropped by the segmentation). By mode "
      "(made / found / mode right, and what the others were read as): "
      + ", ".join(f"{m} {v['made']}/{v['found']}/{v['mode_right']}"
                  + (" (" + ", ".join(f"{k} {n}" for k, n in v["read_as"].items() if k != m) + ")"
                     if any(k != m for k in v["read_as"]) else "")
                  for m, v in a["by_mode"].items()) + ".\n")

print(f"## (b) Import of a {b['bytes'] / 1e6:,.0f} MB `Records.json`\n")
print(f"{b['points']:,} locations over {b['days']:,} days, written as Takeout writes them (indented; source, device, "
      f"velocity, activity guesses on one in ten), the first {100 * b['points_with_timestamp_ms'] / max(b['points'], 1):.0f} % "
      "with `timestampMs`, the rest with `timestamp` (RFC 3339, half with milliseconds); written streamed in "
      f"{b['write_seconds']:.1f} s. The two streaming parses are alternated, median of {b['rounds']} rounds (peak RSS: the highest); the file is in "
      "the page cache.\n")
pl, st, wh, ap, up = b["plain"], b["stream"], b["whole"], b["app"], b["upload"]
share = b["stream_speed_share_of_plain"]
print("| path | time | MB/s | peak RSS | time ÷ plain parse | target |")
print("|---|--:|--:|--:|--:|---|")
print(f"| baseline: plain streaming parse (serde_json over a buffered reader, each location skipped with `IgnoredAny`, counted) | {pl['seconds']:.2f} s | {pl['mb_per_s']:.0f} | {pl['peak_rss_mb']:.0f} MB | 1× | |")
print(f"| selfdata streaming import: `records_from_reader` over the same reader, points kept, then `trips_of` | {st['seconds']:.2f} s | {st['mb_per_s']:.0f} | {st['peak_rss_mb']:.0f} MB | {x(b['stream_vs_plain_time'])} | "
      f"{judge(share >= 0.5, '≥ 50 % of the plain speed', 'import speed')} ({100 * share:.0f} %); {judge(st['peak_rss_mb'] < 200, '< 200 MB', 'import peak RSS')} |")
print(f"| of which reading the file into points | {st['parse_seconds']:.2f} s | {b['bytes'] / 1e6 / st['parse_seconds']:.0f} | {st['runs'][-1].get('peak_rss_after_parse_mb', 0):.0f} MB | {x(st['parse_seconds'] / pl['seconds'])} | |")
print(f"| of which `trips_of` ({st['trips']:,} trips) | {st['trips_seconds']:.2f} s | | | | |")
print(f"| the file read whole, `import::import` on its bytes, `trips_of` (every path before the import took a file) | {wh['seconds']:.2f} s | {b['whole_mb_per_s']:.0f} | {wh['peak_rss_mb']:.0f} MB | {x(b['whole_vs_plain_time'])} | |")
if "seconds" in ap:
    print(f"| `selfdata import` end to end: `App::import_file` on the file where it is (hashed, streamed, trips merged, original written from the file, one commit) | {ap['seconds']:.2f} s | {ap['mb_per_s']:.0f} | {ap['peak_rss_mb']:.0f} MB | {x(ap['seconds'] / pl['seconds'])} | "
          f"{judge(ap['peak_rss_mb'] < 200, '< 200 MB', 'selfdata import peak RSS')} |")
    print(f"| a page's upload end to end: posted over HTTP on loopback (CSRF first), spooled sealed, imported by the job ({up['sent_seconds']:.1f} s to send) | {up['seconds']:.2f} s | {up['mb_per_s']:.0f} | {up['peak_rss_mb']:.0f} MB | {x(up['seconds'] / pl['seconds'])} | "
          f"{judge(up['peak_rss_mb'] < 200, '< 200 MB', 'upload peak RSS')}; spool left: {up['spool_left']} files |")
else:
    print("| `selfdata import` and a page's upload end to end | not measured (SKIP_APP) | | | | |")
print()

print(f"## (c) Mobility pages and API, a pod with a year of trips\n")
print(f"A year of the same history ({p['file_points']:,} points, a compact Records.json of {p['file_bytes'] / 1e6:.0f} MB, "
      f"imported through `App::import_file` in {p['import_seconds']:.2f} s: "
      f"{p['trips']:,} trips. Server time: the whole router in process (session cookie for pages; DPoP token, proof and WAC "
      f"for the API), no socket; the first of each series not counted. Baseline: the same trips in a bare SQLite table "
      "(index on start), the period's rows SELECTed into memory.\n")
print("| measure | selfdata p50 / p99 | baseline p50 / p99 | ratio (p50) | target |")
print("|---|--:|--:|--:|---|")
month_sql = p["sqlite_select_ms"]["month"]
year_sql = p["sqlite_select_ms"]["year"]
print(f"| first page after the import (the pod's view built: trips read back, places found) | {p['cold_first_page_ms']:.0f} ms | | | |")
for path, d in p["pages_ms"].items():
    ok = d.get("p50", 1e9) < 30 and d.get("p99", 1e9) < 30
    print(f"| `GET {path}` ({d.get('bytes', 0) / 1000:.0f} kB) | {ms(d)} | one-month SELECT {ms(month_sql)} | {x(d['p50'] / month_sql['p50'])} | {judge(ok, '< 30 ms', 'page ' + path)} |")
n = p["rows_returned"]
api = p["api_trips_ms"]
print(f"| `GET …/api/trips`, one month ({n['month']} trips) | {ms(api['month'])} | same SELECT {ms(month_sql)} | {x(api['month']['p50'] / month_sql['p50'])} | |")
print(f"| `GET …/api/trips`, the year ({n['year']:,} trips) | {ms(api['year'])} | the year's SELECT {ms(year_sql)} | {x(api['year']['p50'] / year_sql['p50'])} | |")
print(f"| `GET …/api/totals`, the year by month and mode | {ms(api['totals_year'])} | the year's SELECT {ms(year_sql)} | {x(api['totals_year']['p50'] / year_sql['p50'])} | |")
print()
print("## Reading\n")
print("- **Targets.** " + ("Missed in this run: " + "; ".join(missed) + "." if missed else "All met in this run.")
      + f" Segmentation costs about {s['segment_and_modes_vs_haversine']:.0f} haversine passes over the same points: "
      "looking for stays, the window of points within 100 m of a running centre is grown again from each point of a trip, "
      "each step a haversine (sines, cosines, an arcsine).")
after = st["runs"][-1].get("peak_rss_after_parse_mb", 0)
print(f"- **Memory of the streaming import.** The file is never held: the reader keeps a buffer and one location. "
      f"What grows is the points, kept to be segmented ({b['points']:,} points, 24 bytes each, in a vector grown by doubling: "
      f"{after:.0f} MB at the end of the read, the process's {st['start_rss_mb']:.0f} MB included), then `segment`'s cleaned copy "
      f"and the trips: {st['peak_rss_mb']:.0f} MB at the peak. It grows with the number of points (about "
      f"{(st['peak_rss_mb'] - st['start_rss_mb']) * 1e6 / max(b['points'], 1):.0f} bytes each at the peak), not with the size of the file.")
print(f"- **Speed of the streaming import.** Both streaming parses go through serde_json's `from_reader`, which takes the file "
      f"one byte at a time from the buffered reader ({pl['mb_per_s']:.0f} MB/s for the plain parse); the same visitor over the "
      f"bytes in memory (`whole` row) reads at {b['bytes'] / 1e6 / wh['parse_seconds']:.0f} MB/s. Of the streaming import's "
      f"{st['seconds']:.1f} s, {st['parse_seconds']:.1f} s read the points and {st['trips_seconds']:.1f} s cut them into trips. "
      "Reading costs more than the baseline's skipping largely because every key is decoded to be matched (serde_json copies "
      "it out of the reader and checks it as UTF-8) and every value read is checked (times parsed, coordinates bounded); "
      "the baseline skips keys and values alike without decoding them.")
print("- **End to end.** Both ways in hand the pipeline an `Upload`, never the file's bytes: `selfdata import` the file where it is "
      "(one pass to hash it), a page's upload a sealed spool under `<data>/spool/` (the request read in chunks, a megabyte at a time "
      "written to the spool). The mobility intake streams a `Records.json` from it with `records_from_reader`; the original is "
      "written into the pod from it in two streamed passes (its keyed name, then sealed), one chunk in memory. So their peak is the "
      "streaming import's plus the pod's own (its database, the trips CSVs), not the file's size; the extra time over the "
      "streaming import is the hashing, the spooling (for the upload) and writing the original sealed.")
print()
PY
cat "bench/results/mobility-$day.md"
