"""Emergency detection on the blind emergency set: recall per kind, false alarms on ordinary look-alikes.

An emergency counts as caught when the check flags any kind (the guidance is sent); whether the kind was right
is reported beside it. A false alarm is an ordinary message that gets any guidance, sure or unsure; both are
counted separately and together. Results are grouped per kind and per style (dialects, hiragana, typos …).

Only the dev split may be looked at message by message: ``errors`` lists the dev split's misses and false
alarms and is never filled for the test split, so that nobody tunes on it.

``baseline_from_git`` loads an older ``bot/emergency.py`` from git into a temporary module (nothing is written
to the tree), so the old detector can be measured on the same split.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from eval.emergency_set import EmergencyExample, Split, load_emergency_set

REPO_ROOT = Path(__file__).resolve().parent.parent


class CheckResult(Protocol):
    @property
    def kinds(self) -> tuple[Any, ...]: ...

    @property
    def sure(self) -> bool: ...


Detector = Callable[[str], CheckResult]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class _Tally:
    """Counts for one group of messages (a kind, a style, or all)."""

    def __init__(self) -> None:
        self.emergencies = self.caught = self.kind_right = self.caught_sure = 0
        self.ordinary = self.alarm_sure = self.alarm_unsure = 0

    def add(self, example: EmergencyExample, result: CheckResult) -> None:
        flagged = [str(kind) for kind in result.kinds]
        if example.is_emergency:
            self.emergencies += 1
            self.caught += bool(flagged)
            self.caught_sure += bool(flagged) and result.sure
            self.kind_right += example.kind in flagged
        else:
            self.ordinary += 1
            self.alarm_sure += bool(flagged) and result.sure
            self.alarm_unsure += bool(flagged) and not result.sure

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.emergencies:
            out |= {"emergencies": self.emergencies, "recall": _rate(self.caught, self.emergencies),
                    "recall_sure": _rate(self.caught_sure, self.emergencies),
                    "kind_right": _rate(self.kind_right, self.emergencies)}
        if self.ordinary:
            alarms = self.alarm_sure + self.alarm_unsure
            out |= {"ordinary": self.ordinary, "false_alarm": _rate(alarms, self.ordinary),
                    "false_alarm_sure": _rate(self.alarm_sure, self.ordinary),
                    "false_alarm_unsure": _rate(self.alarm_unsure, self.ordinary)}
        return out


def evaluate(examples: Iterable[EmergencyExample], detector: Detector, *,
             list_errors: bool = False) -> dict[str, Any]:
    """Recall and false alarms overall, per kind and per style; ``errors`` only when ``list_errors``."""
    overall = _Tally()
    by_kind: defaultdict[str, _Tally] = defaultdict(_Tally)
    by_style: defaultdict[str, _Tally] = defaultdict(_Tally)
    errors: list[dict[str, Any]] = []
    timings: list[float] = []
    for example in examples:
        started = time.perf_counter()
        result = detector(example.text)
        timings.append((time.perf_counter() - started) * 1000)
        for tally in (overall, by_kind[example.kind or "ordinary"], by_style[example.style]):
            tally.add(example, result)
        flagged = [str(kind) for kind in result.kinds]
        wrong = bool(flagged) != example.is_emergency or (example.is_emergency and example.kind not in flagged)
        if list_errors and wrong:
            errors.append({"id": example.id, "kind": example.kind, "style": example.style, "text": example.text,
                           "flagged": flagged, "sure": result.sure})
    timings.sort()
    report: dict[str, Any] = {
        "overall": overall.summary(),
        "per_kind": {kind: tally.summary() for kind, tally in sorted(by_kind.items())},
        "per_style": {style: tally.summary() for style, tally in sorted(by_style.items())},
        "ms_per_message": {"mean": round(sum(timings) / len(timings), 3) if timings else None,
                           "p95": round(timings[int(len(timings) * 0.95)], 3) if timings else None},
    }
    if list_errors:
        report["errors"] = errors
    return report


def run_emergency_eval(split: Split = "dev", *, baseline: str | None = None,
                       list_errors: bool = False) -> dict[str, Any]:
    """The detector's numbers on ``split`` (and the detector of git revision ``baseline`` for comparison).

    ``list_errors`` is refused for any split but dev: the test split is measured, never read.
    """
    if list_errors and split != "dev":
        raise ValueError("errors are listed for the dev split only (never tune on test)")
    from bot.emergency import check

    check("warm up")  # the tagger loads once; not part of a message's time
    examples = load_emergency_set(split)
    report: dict[str, Any] = {"split": split, "detector": evaluate(examples, check, list_errors=list_errors)}
    if baseline is not None:
        report["baseline"] = {"revision": baseline, **evaluate(examples, baseline_from_git(baseline))}
    return report


def baseline_from_git(revision: str, path: str = "bot/emergency.py") -> Detector:
    """The ``check`` (or, before it existed, ``detect``) of ``path`` at git ``revision``, from a temporary module."""
    source = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=REPO_ROOT, check=True, capture_output=True,
                            text=True).stdout
    with tempfile.TemporaryDirectory() as folder:
        module_path = Path(folder) / "emergency_baseline.py"
        module_path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("emergency_baseline", module_path)
        if spec is None or spec.loader is None:
            raise RuntimeError(f"cannot load {path} at {revision}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
        try:
            spec.loader.exec_module(module)
        finally:
            del sys.modules[spec.name]
    if hasattr(module, "check"):
        return module.check  # type: ignore[no-any-return]
    detect = module.detect
    return lambda text: _Flagged(tuple(detect(text)))


class _Flagged:
    """A result for detectors that only returned kinds (always sure)."""

    def __init__(self, kinds: tuple[Any, ...]) -> None:
        self.kinds = kinds
        self.sure = True
