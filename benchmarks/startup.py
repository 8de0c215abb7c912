"""Time to quizapp's first frame and to its full deck list, against a bare Textual app's first frame.

Each app runs in a fresh interpreter (imports included, as a user pays them), headless.
The bare app reports its first frame; quizapp reports its first frame and then, from the
same process, the moment its home screen has the decks (`HomeScreen.decks` is set in the
same call that fills the DataTable). quizapp runs twice per round: with the deck cache
(`$QUIZAPP_CACHE_DIR`) left by earlier runs, the usual launch, and with an empty one, a
launch after the decks or quizapp changed (the same when the app keeps no cache on
disk). Runs alternate and the medians are compared.
Aims: first frame at most 1.5× the bare app's, deck list at most 2×.
Usage: python benchmarks/startup.py [RUNS]
"""

from __future__ import annotations

import os
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
import asyncio
import sys
from pathlib import Path
from quizapp.commands import study_paths
from engine.storage.datadir import database_path
from engine.storage import ReviewStore
from quizapp.app import QuizApp

async def leave(pilot):
    print("ready", flush=True)
    while not getattr(pilot.app.screen, "decks", None):
        await asyncio.sleep(0.002)
    print("decks", flush=True)
    pilot.app.exit()

store = ReviewStore.open(database_path(Path(sys.argv[1])))
QuizApp(study_paths([]), store).run(headless=True, auto_pilot=leave)
"""


def run(code: str, *args: str, marks: tuple[str, ...] = ("ready",), cache: str | None = None) -> list[float]:
    """Seconds from spawning the interpreter to each line in `marks` the app prints.

    The process is killed once the last mark is read: what the app starts in the
    background afterwards (quizapp imports sympy and torch once the decks are shown)
    is not what is measured here, and waiting for it would only slow the benchmark.
    """
    env = dict(os.environ, QUIZAPP_CACHE_DIR=cache) if cache else None
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    times: list[float] = []
    try:
        for mark in marks:
            line = process.stdout.readline()
            times.append(time.perf_counter() - start)
            if line.strip() != mark:
                raise RuntimeError(f"expected {mark!r} from the app, got {line!r}")
    finally:
        process.kill()
        process.wait()
    return times


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    marks = ("ready", "decks")
    with tempfile.TemporaryDirectory() as data, tempfile.TemporaryDirectory() as scratch:
        cache = str(Path(scratch) / "kept")
        run(BARE)  # warm the file cache for both, and fill the deck cache
        run(QUIZAPP, data, marks=marks, cache=cache)
        bare, first, listed, cold = [], [], [], []
        for index in range(runs):
            bare.extend(run(BARE))
            frame, decks = run(QUIZAPP, data, marks=marks, cache=cache)
            first.append(frame)
            listed.append(decks)
            cold.append(run(QUIZAPP, data, marks=marks, cache=str(Path(scratch) / f"empty-{index}"))[1])
    b = statistics.median(bare)
    print(f"median of {runs} runs (fresh interpreter, headless):")
    print(f"  bare Textual app, first frame        {b * 1000:6.0f} ms")
    for label, samples, aim in (
        ("quizapp, first frame", first, "≤ 1.5×"),
        ("quizapp, deck list", listed, "≤ 2×"),
        ("quizapp, deck list, empty cache", cold, "≤ 2×"),
    ):
        m = statistics.median(samples)
        print(f"  {label:35} {m * 1000:6.0f} ms   {m / b:5.2f}×  (aim: {aim})")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
