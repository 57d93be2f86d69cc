"""Cheap reads while 200 clients loop relevance searches (issue 13): the p50 of uncached cheap
reads (an article by slug, `/v1/authors`, `/readyz`) from one client, first on an idle server,
then while 200 other clients, each from an address of its own (127.0.0.2 to 127.0.0.201, so
that each has its own budgets: run the server with --rate-limit-loopback), search by relevance
as fast as they are answered, ignoring Retry-After. Prints both p50s, their ratio, and what the
searchers were answered. Standard library only.

Usage: python3 bench/search-flood.py BASE_URL SLUG SECONDS [CLIENTS]
"""

import http.client
import statistics
import sys
import threading
import time
import urllib.parse
from collections import Counter

WORDS = ["election", "climate change", "white house", "covid vaccine", "ukraine",
         "police shooting", "supreme court", "football", "inflation", "trump"]


def cheap_reads(target, slug, seconds):
    """Latencies in ms of cheap reads looped by one client for `seconds`."""
    paths = [f"/v1/articles/{slug}", "/v1/authors?limit=5", "/readyz"]
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30,
                                      source_address=("127.0.0.250", 0))
    took, statuses, i = [], Counter(), 0
    end = time.time() + seconds
    while time.time() < end:
        path = paths[i % len(paths)]
        i += 1
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        took.append((time.perf_counter() - started) * 1000)
        statuses[response.status] += 1
        time.sleep(0.025)  # 40 a second, within the default budget of 50
    return took, statuses


def searcher(target, n, stop, answers, lock):
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30,
                                      source_address=(f"127.0.0.{2 + n}", 0))
    i = n
    while not stop.is_set():
        i += 1
        q = urllib.parse.quote_plus(WORDS[i % len(WORDS)])
        try:
            conn.request("GET", f"/v1/articles?q={q}&sort=relevance&limit=20")
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            status = "error"
        with lock:
            answers[status] += 1


def main():
    base, slug, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    clients = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    target = urllib.parse.urlsplit(base)
    idle, idle_statuses = cheap_reads(target, slug, seconds)
    stop, lock, answers = threading.Event(), threading.Lock(), Counter()
    threads = [threading.Thread(target=searcher, args=(target, n, stop, answers, lock))
               for n in range(clients)]
    for t in threads:
        t.start()
    time.sleep(2)  # every searcher connected and looping
    with lock:
        answers.clear()
    loaded, loaded_statuses = cheap_reads(target, slug, seconds)
    with lock:
        searched = dict(answers)
    stop.set()
    for t in threads:
        t.join()
    p50_idle, p50_loaded = statistics.median(idle), statistics.median(loaded)
    p95 = lambda xs: sorted(xs)[int(len(xs) * 0.95)]
    print(f"cheap reads, idle:   n={len(idle)} p50={p50_idle:.2f} ms p95={p95(idle):.2f} ms {dict(idle_statuses)}")
    print(f"cheap reads, {clients} searching: n={len(loaded)} p50={p50_loaded:.2f} ms "
          f"p95={p95(loaded):.2f} ms {dict(loaded_statuses)}")
    print(f"searches answered in {seconds:.0f} s: {searched}")
    ratio = p50_loaded / p50_idle
    print(f"p50 ratio loaded/idle: {ratio:.2f} (bound 3)")
    ok = ratio <= 3 and set(loaded_statuses) == {200}
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
