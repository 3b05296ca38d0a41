#!/usr/bin/env python3
"""Score distributions of an accuracy trial, by what the voter did: how far apart the marked and
the empty boxes are, and where the thresholds sit. For choosing thresholds on tuning seeds only.
    python3 benches/scores.py /tmp/kiemphieu-accuracy-SEED-N
"""
import json, sqlite3, sys, os, collections

d = sys.argv[1]
truth = json.load(open(os.path.join(d, "scans", "truth.json")))
db = sqlite3.connect(os.path.join(d, "vote", "vote.db"))
by_file = {}
for f, rows, outcome, reason in db.execute("SELECT file, rows, outcome, reason FROM sheets"):
    by_file[os.path.basename(f)] = (json.loads(rows), outcome, reason)
marked = collections.defaultdict(list)   # style -> scores of the chosen box
empty = []                               # scores of boxes the voter left alone (valid/no-mark rows)
marked_traces = collections.defaultdict(list)  # style -> longest trace (mm) in the chosen box
empty_traces = []                              # longest trace (mm) in the boxes left alone
strikes = collections.defaultdict(list)  # crossed-out truth / not -> strike score
for s in truth["sheets"]:
    rec = by_file.get(s["file"])
    if not rec or not s["rows"] or not rec[0]:
        continue
    for t, r in zip(s["rows"], rec[0]):
        sc = r["scores"]
        tr = r.get("traces", [0.0, 0.0, 0.0])
        if t["verdict"] == "valid":
            style = t.get("style", "?") + ("/faint" if t.get("faint") else "")
            marked[style].append(sc[t["choice"]])
            marked_traces[style].append(tr[t["choice"]])
            empty += [x for i, x in enumerate(sc) if i != t["choice"]]
            empty_traces.extend(x for i, x in enumerate(tr) if i != t["choice"])
        elif t["verdict"] == "no_mark":
            empty += sc
            empty_traces.extend(tr)
        strikes["crossed" if t["verdict"] == "crossed_out" else "not"].append(r.get("strike", 0))

def q(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")

print("empty boxes: n=%d max=%.4f p99.9=%.4f p99=%.4f" % (len(empty), max(empty), q(empty, .999), q(empty, .99)))
for k, v in sorted(marked.items()):
    print("marked %-28s n=%4d min=%.4f p1=%.4f median=%.4f" % (k, len(v), min(v), q(v, .01), q(v, .5)))
for k, v in strikes.items():
    print("strike %-8s n=%4d min=%.3f p1=%.3f p99=%.3f max=%.3f" % (k, len(v), min(v), q(v, .01), q(v, .99), max(v)))
print("traces (mm): empty boxes max=%.2f p99.9=%.2f p99=%.2f; of %d empty boxes %d have a trace >= 2 mm"
      % (max(empty_traces), q(empty_traces, .999), q(empty_traces, .99), len(empty_traces),
         sum(1 for x in empty_traces if x >= 2.0)))
for k, v in sorted(marked_traces.items()):
    print("trace  %-28s n=%4d min=%.2f p1=%.2f median=%.2f" % (k, len(v), min(v), q(v, .01), q(v, .5)))
