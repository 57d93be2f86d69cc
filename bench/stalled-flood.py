"""A flood of stalled request bodies: N chunked POSTs that send one byte and stop (every other
one with a write key), against a running dateline, ROUNDS times (default 3); prints for each
round the server's RSS idle, with all of them open, once the server has closed them, and 10 s
later, with how much of it is in transparent huge pages.

Usage: python3 bench/stalled-flood.py PORT N SERVER_PID [WRITE_KEY [ROUNDS]]
(docs/reliability.md has the figures; the file-descriptor limit must allow N sockets.)
"""

import socket
import sys
import time


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
    return -1


def huge_mb(pid):
    for line in open(f"/proc/{pid}/smaps_rollup"):
        if line.startswith("AnonHugePages"):
            return int(line.split()[1]) // 1024
    return -1


def flood(port, n, pid, key):
    print("idle RSS MB", rss_mb(pid))
    sockets, started = [], time.time()
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        head = ("POST /v1/articles HTTP/1.1\r\nHost: flood\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\n")
        if key and i % 2:
            head += f"Authorization: Bearer {key}\r\n"
        s.sendall((head + "\r\n1\r\n{\r\n").encode())
        s.setblocking(False)
        sockets.append(s)
    print(f"{n} stalled POSTs open after {time.time() - started:.1f} s; RSS MB", rss_mb(pid))
    closed, deadline = 0, time.time() + 60
    while time.time() < deadline and closed < n:
        closed = 0
        for s in sockets:
            try:
                if s.recv(65536) == b"":
                    closed += 1
            except BlockingIOError:
                pass
            except ConnectionResetError:
                closed += 1
        time.sleep(0.5)
    print(f"closed by the server after {time.time() - started:.1f} s: {closed} of {n}; "
          f"RSS MB", rss_mb(pid))
    for s in sockets:
        s.close()
    time.sleep(10)
    print("10 s later, RSS MB", rss_mb(pid), "of which in huge pages", huge_mb(pid))


def main():
    port, n, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    key = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    for round_ in range(1, rounds + 1):
        print(f"-- round {round_}")
        flood(port, n, pid, key)


if __name__ == "__main__":
    main()
