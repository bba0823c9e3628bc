"""Print the HTML brief to an A4 PDF with headless Chromium (no network)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
TIMEOUT_S = 120


class PdfError(RuntimeError):
    """No browser, or the browser failed to print."""


def find_browser() -> str:
    """Path of a Chromium-family browser: ``$CRITMIN_CHROMIUM``, /usr/bin/chromium, or one
    on PATH."""
    env = os.environ.get("CRITMIN_CHROMIUM")
    if env:
        if Path(env).exists():
            return env
        raise PdfError(f"CRITMIN_CHROMIUM={env} does not exist")
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise PdfError("PDF output needs Chromium: install it (e.g. apt-get install chromium) or "
                   "set CRITMIN_CHROMIUM to the browser's path")


def html_to_pdf(html_path: Path, pdf_path: Path) -> None:
    """Render ``html_path`` (A4 set by its @page rule) to ``pdf_path`` atomically; scripts
    (the Plotly figures) run before printing."""
    browser = find_browser()
    tmp = pdf_path.with_name(pdf_path.name + ".tmp")
    with tempfile.TemporaryDirectory(prefix="critmin-chromium-") as profile:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-dev-shm-usage", "--no-first-run", "--no-pdf-header-footer",
               f"--user-data-dir={profile}", "--window-size=794,1123",
               "--run-all-compositor-stages-before-draw", "--virtual-time-budget=30000",
               f"--print-to-pdf={tmp}", html_path.resolve().as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            tmp.unlink(missing_ok=True)
            raise PdfError(f"Chromium did not finish printing within {TIMEOUT_S} s") from exc
    if done.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise PdfError(f"Chromium failed to print (exit {done.returncode}): {last}")
    tmp.replace(pdf_path)
