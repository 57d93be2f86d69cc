#!/usr/bin/env python3
"""Score dateline's relevance ranking against the judged query set.

    python3 tests/data/search/score.py http://127.0.0.1:8080 [--judged FILE] [--json] [--quiet]

For each query in judged.json it fetches
GET {base}/v1/articles?q=...&sort=relevance&limit=100&fields=slug and finds the rank of the
first slug listed in the query's "first" array. It prints one line per query, then
precision@1 (the share of queries whose top hit is acceptable) and MRR (the mean of 1/rank,
0 when no acceptable slug is in the top 100). Standard library only.
"""

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def search(base, q, timeout):
    query = urllib.parse.urlencode(
        {"q": q, "sort": "relevance", "limit": "100", "fields": "slug"}
    )
    url = f"{base.rstrip('/')}/v1/articles?{query}"
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        body = json.load(resp)
    return [item["slug"] for item in body["data"]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", help="server base URL, e.g. http://127.0.0.1:8080")
    ap.add_argument("--judged", default=os.path.join(HERE, "judged.json"))
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--json", action="store_true", help="print per-query results as JSON")
    ap.add_argument("--quiet", action="store_true", help="print only the summary")
    args = ap.parse_args()

    with open(args.judged, encoding="utf-8") as fh:
        judged = json.load(fh)

    rows = []
    for item in judged:
        q, accept = item["q"], set(item["first"])
        try:
            slugs = search(args.base, q, args.timeout)
            error = None
        except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
            slugs, error = [], str(exc)
        rank = next((i + 1 for i, s in enumerate(slugs) if s in accept), None)
        rows.append(
            {
                "q": q,
                "rank": rank,
                "hits": len(slugs),
                "top": slugs[0] if slugs else None,
                "error": error,
            }
        )

    n = len(rows)
    p1 = sum(1 for r in rows if r["rank"] == 1) / n
    mrr = sum(1 / r["rank"] for r in rows if r["rank"]) / n
    errors = sum(1 for r in rows if r["error"])

    if args.json:
        json.dump(
            {"queries": n, "precision_at_1": p1, "mrr": mrr, "errors": errors, "rows": rows},
            sys.stdout,
            indent=2,
        )
        print()
        return 0 if not errors else 1

    if not args.quiet:
        width = max(len(r["q"]) for r in rows)
        for r in rows:
            rank = r["rank"] if r["rank"] else "-"
            line = f"{'ok ' if r['rank'] == 1 else 'MISS'} {r['q']:<{width}}  rank {rank!s:>3}  hits {r['hits']:>3}"
            if r["rank"] != 1:
                line += f"  top: {r['top'] or '(none)'}"
            if r["error"]:
                line += f"  error: {r['error']}"
            print(line)
        print()
    print(f"queries {n}  precision@1 {p1:.3f}  MRR {mrr:.3f}" + (f"  errors {errors}" if errors else ""))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
