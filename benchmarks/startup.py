"""Time to the first screen of quizapp, and its ratio to a bare Textual app's, in one run.

Each app runs in a fresh interpreter (imports included, as a user pays them), headless,
and reports as soon as its first screen is ready; runs alternate and the medians are
compared. Aim: at most 1.5× a bare Textual app. Usage: python benchmarks/startup.py [RUNS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = """
from textual.app import App
from textual.widgets import Footer, Header

class Bare(App):
    def compose(self):
        yield Header()
        yield Footer()

async def leave(pilot):
    print("ready", flush=True)
    pilot.app.exit()

Bare().run(headless=True, auto_pilot=leave)
"""

QUIZAPP = """
import sys
from pathlib import Path
from quizapp.cli import study_paths
from engine.datadir import database_path
from engine.storage import ReviewStore
from quizapp.app import QuizApp

async def leave(pilot):
    print("ready", flush=True)
    pilot.app.exit()

store = ReviewStore.open(database_path(Path(sys.argv[1])))
QuizApp(study_paths([]), store).run(headless=True, auto_pilot=leave)
"""


def run(code: str, *args: str) -> float:
    """Seconds from spawning the interpreter to the app saying its first screen is ready.

    (Work the app leaves running in the background, such as loading decks, does not
    delay the first screen, so it is not counted; the process is left to finish.)
    """
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - start
    process.wait()
    if line.strip() != "ready":
        raise RuntimeError(f"the app did not start: {line!r}")
    return elapsed


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory() as data:
        run(BARE)  # warm the file cache for both
        run(QUIZAPP, data)
        bare, ours = [], []
        for _ in range(runs):
            bare.append(run(BARE))
            ours.append(run(QUIZAPP, data))
    b, q = statistics.median(bare), statistics.median(ours)
    print(f"first screen, median of {runs} runs (fresh interpreter, headless):")
    print(f"  bare Textual app  {b * 1000:7.0f} ms")
    print(f"  quizapp           {q * 1000:7.0f} ms")
    print(f"  ratio             {q / b:7.2f}×  (aim: ≤ 1.5×)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
