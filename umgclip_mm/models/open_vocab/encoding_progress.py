"""How far the encoding of a vocabulary has come: the state given to progress callbacks and the log lines of one
encoding (shared by :class:`~umgclip_mm.models.open_vocab.VocabularyEncoder` and the tools that show its progress)."""
import time
from dataclasses import dataclass
from typing import Callable, Optional

from mmengine.logging import print_log


@dataclass(frozen=True)
class EncodingProgress:
    """Where the encoding of a vocabulary stands; given to progress callbacks after every batch (and at 0).

    Attributes:
        done (int): Distinct prompts encoded so far.
        total (int): Distinct prompts to encode.
        elapsed (float): Seconds since the text tower started.
        eta (float, optional): Estimated seconds left (from the tokens per second so far; ``None`` before the first
            batch).
        classes (int): Classes of the vocabulary.
        templates (int): Prompt templates.
    """
    done: int
    total: int
    elapsed: float
    eta: Optional[float]
    classes: int
    templates: int

    @property
    def rate(self) -> float:
        """Texts per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    def __str__(self) -> str:
        eta = f', ETA {format_duration(self.eta)}' if self.eta is not None and self.done < self.total else ''
        return (f'{self.done}/{self.total} prompts ({100 * self.done / max(self.total, 1):.0f}%), '
                f'{self.rate:.1f} texts/s, elapsed {format_duration(self.elapsed)}{eta}')


def format_duration(seconds: float) -> str:
    """``seconds`` as ``1h02m`` (an hour or more) or ``3m05s``."""
    seconds = int(round(seconds))
    return f'{seconds // 3600}h{seconds // 60 % 60:02d}m' if seconds >= 3600 else f'{seconds // 60}m{seconds % 60:02d}s'


class ProgressReport:
    """Progress of one encoding: lines in mmengine's log (when the whole takes a few seconds or more) and calls of a
    progress callback.

    Args:
        total (int): Distinct prompts to encode.
        classes (int): Classes of the vocabulary.
        templates (int): Prompt templates.
        interval (float): Seconds between progress lines in the log.
        callback (callable, optional): Called with an :class:`EncodingProgress` now and after every :meth:`step`.
    """

    def __init__(self, total: int, classes: int, templates: int, interval: float,
                 callback: Optional[Callable[[EncodingProgress], None]]):
        self.total, self.classes, self.templates = total, classes, templates
        self.interval, self.callback = interval, callback
        self.start = time.perf_counter()
        self.done, self.last_log, self.logged = 0, 0.0, False
        self._call(None)

    def _call(self, eta: Optional[float]) -> EncodingProgress:
        state = EncodingProgress(self.done, self.total, time.perf_counter() - self.start, eta, self.classes,
                                 self.templates)
        if self.callback is not None:
            self.callback(state)
        return state

    def step(self, n: int, fraction: float) -> None:
        """``n`` more prompts are done, ``fraction`` of the work (tokens)."""
        self.done += n
        elapsed = time.perf_counter() - self.start
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        state = self._call(eta)
        now = time.perf_counter()
        if self.done >= self.total:
            return
        if not self.logged:
            if eta is not None and elapsed + eta >= min(5.0, self.interval):  # worth telling: a line now
                print_log(f'encoding a vocabulary of {self.classes} classes x {self.templates} templates: '
                          f'{self.total} distinct prompts through the text tower; {state}', logger='current')
                self.logged, self.last_log = True, now
        elif now - self.last_log >= self.interval:
            print_log(f'encoding the vocabulary: {state}', logger='current')
            self.last_log = now

    def finish(self) -> None:
        """The closing log line (only when progress lines were logged)."""
        if self.logged:
            elapsed = time.perf_counter() - self.start
            print_log(f'encoded {self.total} prompts of {self.classes} classes in {format_duration(elapsed)} '
                      f'({self.total / max(elapsed, 1e-9):.1f} texts/s)', logger='current')
