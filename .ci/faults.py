#!/usr/bin/env python3
"""The request stream of .ci/faults, and the check of what it saw. Standard library only.

  faults.py load BASE KEY OUT     send reads and writes from 8 threads until SIGTERM; one JSON
                                  line per request in OUT
  faults.py check OUT EVENTS STORED BOUND
                                  EVENTS: `name=unix-time` lines (stop, back, freeze, thaw);
                                  STORED: the article URLs in the database at the end;
                                  BOUND: seconds a request may take at most
"""

import http.client
import json
import signal
import sys
import threading
import time
import urllib.parse
import uuid

SEED = "us-formally-rejects-russias-top-security-demands"
READS = [
    "/v1/articles?limit=5",
    f"/v1/articles/{SEED}",
    "/v1/authors/alex-raufoglu/articles?limit=3",
    "/v1/topics?limit=5",
    "/v1/entities/antony-blinken",
    "/readyz",
]
THREADS = 8


def load(base, key, out):
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    target = urllib.parse.urlsplit(base)
    lock = threading.Lock()
    sink = open(out, "w", buffering=1)

    def worker(n):
        conn = None
        i = 0
        while not stop.is_set():
            i += 1
            write = i % 4 == 0
            if write:
                url = f"https://faults.example.com/{uuid.uuid4()}"
                body = json.dumps({
                    "headline": f"Fault drill story {i} of worker {n}",
                    "url": url,
                    "published_at": "2026-12-01T10:00:00Z",
                    "authors": ["Fault Drill"],
                })
                method, path = "POST", "/v1/articles"
                headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
            else:
                url, body = None, None
                method, path = "GET", READS[i % len(READS)]
                headers = {}
            started = time.time()
            record = {"start": started, "method": method, "path": path, "url": url}
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                record.update(
                    status=response.status,
                    content_type=response.getheader("Content-Type", ""),
                    retry_after=response.getheader("Retry-After"),
                    problem=payload[:300].decode("utf-8", "replace") if response.status >= 400 else None,
                )
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                record.update(status=None, error=repr(e))
                if conn is not None:
                    conn.close()
                conn = None
            record["end"] = time.time()
            with lock:
                sink.write(json.dumps(record) + "\n")
            if record.get("status") is None or record["status"] >= 500:
                time.sleep(0.05)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sink.close()


def check(out, events_file, stored_file, bound):
    records = [json.loads(line) for line in open(out)]
    events = {}
    for line in open(events_file):
        name, _, at = line.strip().partition("=")
        events[name] = float(at)
    stored = {line.strip() for line in open(stored_file) if line.strip()}
    bound = float(bound)
    failures = []

    slowest = max(r["end"] - r["start"] for r in records)
    late = [r for r in records if r["end"] - r["start"] > bound]
    if late:
        failures.append(f"{len(late)} requests took longer than {bound} s, e.g. {late[0]}")
    wrong = [r for r in records if r.get("status") is None or (
        r["status"] >= 300 and not (
            r["status"] == 503
            and r["content_type"] == "application/problem+json"
            and r["retry_after"]
        ))]
    if wrong:
        failures.append(f"{len(wrong)} answers neither 2xx nor a 503 problem with Retry-After, e.g. {wrong[0]}")

    def window(start, end):
        return [r for r in records if start <= r["start"] < end]

    print(f"requests: {len(records)}; slowest {slowest:.2f} s (bound {bound} s)")
    phases = [
        ("before the faults", 0, events["stop"]),
        ("database stopped", events["stop"], events["back"]),
        ("first 5 s after its start", events["back"], events["back"] + 5),
        # Until a bound before the freeze: a request started later may be caught by it.
        ("5 s after its start, until the freeze", events["back"] + 5, events["freeze"] - bound),
        ("caught by the freeze as it came", events["freeze"] - bound, events["freeze"]),
        ("database frozen (SIGSTOP)", events["freeze"], events["thaw"]),
        ("first 5 s after SIGCONT", events["thaw"], events["thaw"] + 5),
        ("5 s after SIGCONT, to the end", events["thaw"] + 5, float("inf")),
    ]
    print(f"{'phase (requests by their start)':<40} {'requests':>8} {'2xx':>6} {'503':>6} {'other':>6} {'p50 ms':>7} {'max ms':>7}")
    for name, start, end in phases:
        rs = window(start, end)
        ok = sum(1 for r in rs if r.get("status") and r["status"] < 300)
        unavailable = sum(1 for r in rs if r.get("status") == 503)
        took = sorted((r["end"] - r["start"]) * 1000 for r in rs) or [0]
        print(f"{name:<40} {len(rs):>8} {ok:>6} {unavailable:>6} {len(rs) - ok - unavailable:>6} "
              f"{took[len(took) // 2]:>7.0f} {took[-1]:>7.0f}")
    for name, start, end in [phases[3], phases[7]]:
        rs = window(start, end)
        ok = sum(1 for r in rs if r.get("status") and r["status"] < 300)
        if not rs or ok < 0.99 * len(rs):
            failures.append(f"{name}: {ok} of {len(rs)} succeeded (99 % needed)")
    for name, start, end in [phases[1], phases[5]]:
        if not any(r.get("status") == 503 for r in window(start, end)):
            failures.append(f"{name}: no request was answered 503; the fault did not bite")

    acknowledged = [r["url"] for r in records if r["method"] == "POST" and r.get("status") in (200, 201)]
    lost = [u for u in acknowledged if u not in stored]
    print(f"acknowledged writes: {len(acknowledged)}; missing from the database: {len(lost)}")
    if lost:
        failures.append(f"{len(lost)} acknowledged writes are missing, e.g. {lost[0]}")
    if not acknowledged:
        failures.append("no write was acknowledged")

    for f in failures:
        print(f"FAIL: {f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    if sys.argv[1:2] == ["load"]:
        load(*sys.argv[2:5])
    elif sys.argv[1:2] == ["check"]:
        check(*sys.argv[2:6])
    else:
        sys.exit(__doc__)
