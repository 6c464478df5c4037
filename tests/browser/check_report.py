#!/usr/bin/env python3
"""Opens a factorscore HTML report in a real browser (Debian's chromium, driven by Playwright) with
the network cut off, and checks what a person would see.

Usage: check_report.py PAGE.html --sections N --svgs N [--employee ID --bonus TEXT]
                       [--screenshot FILE.png] [--chromium /usr/bin/chromium]

Fails (exit 1, the reasons on stderr) on any console error or page error, on any request other
than the page itself, when the page holds a different number of employee sections or of SVG
charts, or when the employee's bonus as rendered differs from TEXT. Prints one JSON line of what
it found.
"""
import argparse
import json
import pathlib
import sys

from playwright.sync_api import sync_playwright


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("--sections", type=int, required=True)
    ap.add_argument("--svgs", type=int, required=True)
    ap.add_argument("--employee")
    ap.add_argument("--bonus")
    ap.add_argument("--screenshot")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--width", type=int, default=1280)
    a = ap.parse_args()
    url = pathlib.Path(a.page).resolve().as_uri()
    problems, requests, console = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=a.chromium, args=["--no-sandbox"])
        context = browser.new_context(offline=True, viewport={"width": a.width, "height": 900})
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.goto(url, wait_until="load")
        sections = page.locator("section.employee").count()
        svgs = page.locator("svg").count()
        shown = None
        if a.employee:
            loc = page.locator(f"section#e-{a.employee} [data-bonus]").first
            shown = loc.inner_text().strip() if loc.count() else None
        if a.screenshot:
            # A full-page screenshot of a long page takes a while on a loaded 2-core machine.
            page.screenshot(path=a.screenshot, full_page=True, timeout=180_000)
        browser.close()
    others = [r for r in requests if r != url]
    if others:
        problems.append(f"network requests besides the page: {others}")
    errors = [c for c in console if c.startswith("error")]
    if errors:
        problems.append(f"console errors: {errors}")
    if sections != a.sections:
        problems.append(f"{sections} employee sections, expected {a.sections}")
    if svgs != a.svgs:
        problems.append(f"{svgs} SVG charts, expected {a.svgs}")
    if a.employee and shown != a.bonus:
        problems.append(f"the bonus of {a.employee} shows as {shown!r}, the Parquet value is {a.bonus!r}")
    print(json.dumps({"sections": sections, "svgs": svgs, "bonus": shown, "requests": len(requests),
                      "console": console}))
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
