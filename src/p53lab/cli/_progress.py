"""Progress of chunked runs (sweeps, screens) on the command line."""

from __future__ import annotations

import sys


class ChunkProgress:
    """A tqdm bar with ETA on a terminal; one plain line per committed chunk otherwise.

    Fed the run's progress events (``start``, ``committed``, ``failed``) whose counts are
    ``<noun>_done`` and ``<noun>_total`` (``members`` for sweeps, ``molecules`` for screens).
    """

    def __init__(self, noun: str, unit: str, announce_resume: bool = False) -> None:
        self.noun, self.unit, self.announce_resume = noun, unit, announce_resume
        self.tty = sys.stderr.isatty()
        self.bar = None
        self.shown = 0

    def __call__(self, ev) -> None:
        done = getattr(ev, f"{self.noun}_done", 0)
        total = getattr(ev, f"{self.noun}_total", 0)
        if ev.event == "start":
            from tqdm import tqdm

            self.close()
            self.bar = tqdm(
                total=total,
                initial=done,
                unit=self.unit,
                file=sys.stderr,
                delay=2.0,  # only runs longer than that get a bar
                disable=not self.tty,
                dynamic_ncols=True,
            )
            self.shown = done
            if self.announce_resume and ev.chunks_done:
                self._line(
                    f"resuming: {ev.chunks_done}/{ev.chunks_total} chunks already committed "
                    f"({done}/{total} {self.noun})"
                )
        elif ev.event == "committed":
            if self.bar is not None:
                self.bar.update(done - self.shown)
            self.shown = done
            if not self.tty:
                self._line(
                    f"chunk {ev.chunks_done}/{ev.chunks_total} committed ({done}/{total} "
                    f"{self.noun})"
                )
        elif ev.event == "failed":
            self._line(f"chunk {ev.chunk} failed, not committed: {ev.message}", always=True)

    def _line(self, text: str, always: bool = False) -> None:
        if self.tty and self.bar is not None:
            if always:
                self.bar.write(text, file=sys.stderr)
            return
        print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
