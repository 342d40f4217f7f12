"""Renders weekly report emails in headless Chromium, as a reader's mail client would show
them on a desktop (600 px) and a phone (375 px): takes a full-page screenshot of each and
checks the layout (nothing wider than the window, the card no wider than 600 px, every bar
inside its row, no figure broken over two lines, no script, no image). Exit 1 on a broken layout.

Run: `make report-screenshot` (after `make demo`), or
`.venv/bin/python scripts/report_screenshot.py REPORT.html... [--out DIR]`.
Needs Debian's Chromium (`apt-get install chromium`) and `requirements-screenshot.txt`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

WIDTHS = (600, 375)

#: What the page reports of its own layout.
MEASURE = r"""() => {
  const root = document.documentElement;
  const card = document.querySelector('table[width="600"]');
  const cells = [...document.querySelectorAll('td')];
  const outside = cells.filter(td => {
    const r = td.getBoundingClientRect();
    return r.right > root.clientWidth + 1 || r.left < -1;
  }).length;
  // a figure broken over two lines ("0 of" / "0", "3.5" / "days") reads wrong on a phone
  const figure = /^[-+$\d,.%\u2013]+( of [\d,]+| days| h)?$/;
  const wrapped = cells.filter(td => {
    const text = td.innerText.replace(/\s+/g, ' ').trim();
    if (td.querySelector('td') || !figure.test(text)) return false;
    const range = document.createRange();
    range.selectNodeContents(td);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
  }).length;
  return {
    wrappedFigures: wrapped,
    scrollWidth: root.scrollWidth, clientWidth: root.clientWidth,
    cardWidth: card ? card.getBoundingClientRect().width : null,
    cellsOutside: outside, scripts: document.scripts.length,
    images: document.images.length, height: root.scrollHeight,
    text: document.body.innerText.length,
  };
}"""


def check(measured: dict[str, float], width: int) -> list[str]:
    problems = []
    if measured["scrollWidth"] > measured["clientWidth"]:
        problems.append(f"wider than the window: {measured['scrollWidth']} > {width} px")
    if measured["cardWidth"] is None or measured["cardWidth"] > 600:
        problems.append(f"the card is {measured['cardWidth']} px wide (at most 600)")
    if measured["cellsOutside"]:
        problems.append(f"{measured['cellsOutside']} cells outside the window")
    if measured["wrappedFigures"]:
        count = measured["wrappedFigures"]
        problems.append(f"{count} figure{'' if count == 1 else 's'} broken over two lines")
    if measured["scripts"] or measured["images"]:
        problems.append("has a script or an image")
    if measured["text"] < 200:
        problems.append("almost no text: did it render?")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path(".local/screenshots"))
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("Chromium is not installed: apt-get install chromium", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    failed = False
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for report in args.reports:
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(report.resolve().as_uri())
                measured = page.evaluate(MEASURE)
                shot = args.out / f"{report.stem}-{width}px.png"
                page.screenshot(path=str(shot), full_page=True)
                problems = check(measured, width)
                failed |= bool(problems)
                verdict = "; ".join(problems) or "layout ok"
                print(
                    f"{report.name} at {width} px: {verdict} (page {measured['scrollWidth']}"
                    f"x{measured['height']} px, card {measured['cardWidth']:.0f} px) -> {shot}"
                )
                page.close()
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
