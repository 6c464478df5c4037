#!/usr/bin/env python3
"""Where a run's memory peaks: the largest RSS between two of its `-v` phase lines.

Usage: bench/rss_phases.py BIN run PIPELINE --out DIR -v [more options]

Starts the command, samples its VmRSS every 5 ms, and prints each phase line as it comes with the
largest RSS seen since the phase line before. The reader's lines (`read ...`) come when the
checks take their table, so the peak of a stage shows on the first line printed after it.
"""
import subprocess
import sys
import threading
import time


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    p = subprocess.Popen(sys.argv[1:], stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    events = []

    def read():
        for line in p.stderr:
            if line.startswith("phase"):
                events.append((time.time() - t0, "phase", line.strip()))

    reader = threading.Thread(target=read)
    reader.start()
    while p.poll() is None:
        try:
            with open(f"/proc/{p.pid}/status") as f:
                rss = next(l for l in f if l.startswith("VmRSS")).split()[1]
            events.append((time.time() - t0, "rss", int(rss) // 1024))
        except (OSError, StopIteration):
            pass
        time.sleep(0.005)
    reader.join()
    top, at = 0, 0.0
    for t, kind, v in events:
        if kind == "phase":
            print(f"{t:6.2f} {v:50s} max since last: {top} MiB at {at:.2f}")
            top = 0
        elif v > top:
            top, at = v, t
    print(f"after the last phase line: {top} MiB")
    sys.exit(p.returncode)


if __name__ == "__main__":
    main()
