"""Emergency detection on the blind emergency set: recall per kind, false alarms on ordinary look-alikes.

An emergency counts as caught when the check flags any kind (the guidance is sent); whether the kind was right
is reported beside it. A false alarm is an ordinary message that gets any guidance, sure or unsure; both are
counted separately and together. Results are grouped per kind and per style (dialects, hiragana, typos …).

Sets: ``first`` (``eval/datasets/emergency/``; round 1 tuned on its dev split and reported its test split
once), ``holdout`` (``eval/datasets/emergency-holdout/``, another writer, measured once in round 2) and
``train`` (round 2's hand-written training examples, a third writer): all three are development data now.
``holdout2`` (``eval/datasets/emergency-holdout-2/``, a fourth writer) is measured once and never read.
``errors`` (the texts of misses and false alarms) is listed for the development sets only.

``leave_one_writer_out`` measures generalisation to a new writer: each development set in turn is checked with
a model trained on the other two (round 2's cross-validation within one writer's set overstated the held-out
numbers).

``cross_validate`` measures generalisation on the first set: kind-balanced folds; for each fold the learned
model is trained on the other folds (and the hand-written training examples) and the fold is checked with it.

``baseline_from_git`` loads an older ``bot/emergency.py`` from git into a temporary module (nothing is written
to the tree), so the old detector can be measured on the same split.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from eval.emergency_set import EMERGENCY_SET_DIR, EmergencyExample, Split, load_emergency_set
from eval.paths import REPO_ROOT

DATASETS = REPO_ROOT / "eval" / "datasets"
SETS = {"first": EMERGENCY_SET_DIR, "holdout": DATASETS / "emergency-holdout", "train": DATASETS / "emergency-train",
        "holdout2": DATASETS / "emergency-holdout-2"}
DEVELOPMENT = ("first", "holdout", "train")
"""The sets whose texts may be read (errors listed): every set but the unmeasured held-out one."""
FOLDS = 5


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


def run_emergency_eval(split: Split = "dev", *, root: Path = EMERGENCY_SET_DIR, baseline: str | None = None,
                       list_errors: bool = False) -> dict[str, Any]:
    """The detector's numbers on ``split`` of the set in ``root`` (and of git revision ``baseline`` beside them).

    ``list_errors`` is refused for any set but the development sets: a held-out set is measured, never read.
    """
    if list_errors and not is_development(root):
        raise ValueError("errors are listed for the development sets only (a held-out set is never read)")
    from bot.emergency import check

    check("warm up")  # the tagger and the model load once; not part of a message's time
    examples = load_emergency_set(split, root)
    report: dict[str, Any] = {"set": root.name, "split": split,
                              "detector": evaluate(examples, check, list_errors=list_errors)}
    if baseline is not None:
        report["baseline"] = {"revision": baseline, **evaluate(examples, baseline_from_git(baseline))}
    return report


def is_development(root: Path) -> bool:
    """Whether ``root`` is one of the development sets (whose texts may be listed)."""
    return root.resolve() in {SETS[name].resolve() for name in DEVELOPMENT}


def leave_one_writer_out(*, list_errors: bool = False) -> dict[str, Any]:
    """Each development set checked with a model trained on the other two (one writer held out at a time).

    Per set: ``detector`` (the rules with that model), ``rules`` (the rules alone: written on these sets, so
    optimistic) and ``model`` (the model alone at the detector's alarm threshold); ``pooled``: the detector over
    all three sets together.
    """
    from eval.train_emergency import fitted_model, writer_sets

    sets = writer_sets()
    report: dict[str, Any] = {"cross_validation": "leave one writer out: each set with a model trained on the "
                                                  "other two"}
    pooled: list[CheckResult] = []
    for held, examples in sets.items():
        model = fitted_model([e for name, others in sets.items() if name != held for e in others])
        answers: dict[str, list[CheckResult]] = {"detector": [], "rules": [], "model": []}
        for example in examples:
            for name, answer in _three_opinions(example.text, model).items():
                answers[name].append(answer)
        pooled += answers["detector"]
        report[held] = {name: evaluate(examples, _in_order(results),
                                       list_errors=list_errors and name == "detector")
                        for name, results in answers.items()}
    everything = [example for examples in sets.values() for example in examples]
    report["pooled"] = evaluate(everything, _in_order(pooled))
    return report


def _in_order(results: list[CheckResult]) -> Detector:
    """A detector that gives ``results`` one after the other (``evaluate`` checks its examples in order; texts
    may repeat across sets, so they cannot be keys)."""
    answers = iter(results)
    return lambda text: next(answers)


def fold_of(examples: Iterable[EmergencyExample], folds: int = FOLDS) -> dict[str, int]:
    """Kind-balanced folds: each kind's ids (and the ordinary ones) in sha256 order, dealt out in turn."""
    by_kind: defaultdict[str, list[str]] = defaultdict(list)
    for example in examples:
        by_kind[example.kind or "ordinary"].append(example.id)
    assignment: dict[str, int] = {}
    for ids in by_kind.values():
        for number, id_ in enumerate(sorted(ids, key=lambda i: hashlib.sha256(i.encode()).hexdigest())):
            assignment[id_] = number % folds
    return assignment


def cross_validate(folds: int = FOLDS, *, list_errors: bool = False) -> dict[str, Any]:
    """Out-of-fold numbers on the first set, and across writers.

    ``detector``: the rules with a model that never saw the fold (trained on the other folds and the hand-written
    examples); ``rules``: the rules alone (tuned by hand on this very set, so an optimistic number); ``model``: the
    model alone at the detector's threshold. ``cross_writer``: the detector with a model trained on the first set
    only, on the hand-written training examples (another writer, never seen by the rules' author in round 1);
    ``cross_writer_folds``: the same examples in folds, each with a model trained on the first set and the other
    folds (the packaged model's situation: some messages of the new writer seen, these not).
    """
    from bot.emergency import check
    from eval.train_emergency import EXTRA_DIR, fitted_model

    examples = load_emergency_set("all")
    extra = load_emergency_set("all", EXTRA_DIR)
    assignment = fold_of(examples, folds)
    results: dict[str, dict[str, CheckResult]] = {"detector": {}, "rules": {}, "model": {}}
    for fold in range(folds):
        model = fitted_model([e for e in examples if assignment[e.id] != fold] + extra)
        for example in (e for e in examples if assignment[e.id] == fold):
            for name, answer in _three_opinions(example.text, model).items():
                results[name][example.text] = answer
    report: dict[str, Any] = {"set": "first", "split": "all", "cross_validation": f"{folds} kind-balanced folds"}
    for name, answers in results.items():
        report[name] = evaluate(examples, answers.__getitem__, list_errors=list_errors and name == "detector")
    check("warm up")
    report["detector"]["ms_per_message"] = evaluate(examples, check)["ms_per_message"]  # the packaged model
    first_only = fitted_model(examples)
    report["cross_writer"] = evaluate(extra, lambda text: check(text, first_only))
    report["cross_writer_folds"] = _folds_over(extra, examples, folds)
    return report


def _folds_over(held: list[EmergencyExample], base: list[EmergencyExample], folds: int) -> dict[str, Any]:
    """The detector on ``held`` fold by fold, each with a model trained on ``base`` and the other folds."""
    from bot.emergency import check
    from eval.train_emergency import fitted_model

    assignment = fold_of(held, folds)
    answers: dict[str, CheckResult] = {}
    for fold in range(folds):
        model = fitted_model(base + [e for e in held if assignment[e.id] != fold])
        answers |= {e.text: check(e.text, model) for e in held if assignment[e.id] == fold}
    return evaluate(held, answers.__getitem__)


def _three_opinions(text: str, model: Any) -> dict[str, CheckResult]:
    """The detector with ``model``, the rules alone and the model alone (at the detector's alarm threshold)."""
    from bot.emergency import ALERT_ALONE, EmergencyCheck, combine, opinions

    seen = opinions(text, model)
    top = seen.scores.top()
    alone = (top,) if top is not None and seen.scores.emergency >= ALERT_ALONE else ()
    return {"detector": combine(seen), "rules": EmergencyCheck(seen.kinds, seen.sure),
            "model": EmergencyCheck(alone, sure=False)}


COMPANIONS = ("bot/emergency_kinds.py", "bot/emergency_rules.py", "bot/emergency_model.py")
"""Detector modules that ``bot/emergency.py`` imported at some revision: loaded from the same revision (and the
model's weights, ``bot/emergency_model.json``, with the model module)."""
MODEL_FILE = "bot/emergency_model.json"


def baseline_from_git(revision: str, path: str = "bot/emergency.py") -> Detector:
    """The ``check`` (or, before it existed, ``detect``) of ``path`` at git ``revision``, from a temporary module.

    The detector modules it imports (``COMPANIONS``, when they existed then) are loaded from the same revision,
    so that a round's detector is measured as it was, not with today's rules.
    """
    renames: dict[str, str] = {}
    for companion in COMPANIONS:
        source = _git_show(revision, companion)
        if source is not None:
            dotted = companion.removesuffix(".py").replace("/", ".")
            name = f"{dotted.replace('.', '_')}_baseline"
            module = _load_temporary(_renamed(source, renames), name)
            renames[dotted] = module.__name__
            weights = _git_show(revision, MODEL_FILE) if hasattr(module, "EmergencyModel") else None
            if weights is not None:  # that round's weights, not today's packaged file
                module._model = module.EmergencyModel.from_dict(json.loads(weights))
    source = _git_show(revision, path)
    if source is None:
        raise RuntimeError(f"no {path} at {revision}")
    module = _load_temporary(_renamed(source, renames), "emergency_baseline")
    if hasattr(module, "check"):
        return module.check  # type: ignore[no-any-return]
    detect = module.detect
    return lambda text: _Flagged(tuple(detect(text)))


def _git_show(revision: str, path: str) -> str | None:
    shown = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=REPO_ROOT, capture_output=True, text=True)
    return shown.stdout if shown.returncode == 0 else None


def _renamed(source: str, renames: dict[str, str]) -> str:
    for dotted, name in renames.items():
        source = source.replace(f"from {dotted} import", f"from {name} import")
    return source


def _load_temporary(source: str, name: str) -> Any:
    """A module made from ``source``, kept in ``sys.modules`` (later baseline modules import it by name)."""
    with tempfile.TemporaryDirectory() as folder:
        module_path = Path(folder) / f"{name}.py"
        module_path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(name, module_path)
        if spec is None or spec.loader is None:
            raise RuntimeError(f"cannot load {name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the class is built
        spec.loader.exec_module(module)
    return module


class _Flagged:
    """A result for detectors that only returned kinds (always sure)."""

    def __init__(self, kinds: tuple[Any, ...]) -> None:
        self.kinds = kinds
        self.sure = True
