"""The emergency eval: its counting, its refusal to list a held-out set's texts, its folds, and floors.

The whole first set is development data now (round 1's test split was spent). The floors on it sit a little
below what the detector measured on it (``tsunagu eval emergency --set first --split all``: recall 1.0, false
alarms 0.0; the model was trained on it, so these say nothing of new phrasings: the cross-validated numbers in
eval/reports/latest.md do), so a change that loses emergencies or raises alarms fails here.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.emergency import Emergency, EmergencyCheck, check
from eval.emergency_eval import SETS, baseline_from_git, evaluate, fold_of, leave_one_writer_out, run_emergency_eval
from eval.emergency_set import EmergencyExample, load_emergency_set
from tsunagu.cli import app


def example(id_: str, kind: str | None, style: str = "standard") -> EmergencyExample:
    return EmergencyExample(id=id_, text=id_, kind=kind, style=style, note_or_topic="")


def test_counts_caught_emergencies_right_kinds_and_sure_and_unsure_alarms() -> None:
    answers = {
        "e1": EmergencyCheck((Emergency.LIFE,)),  # caught, right kind
        "e2": EmergencyCheck((Emergency.ABUSE,), sure=False),  # caught (unsure), wrong kind
        "e3": EmergencyCheck(),  # missed
        "o1": EmergencyCheck((Emergency.SUICIDE,)),  # sure false alarm
        "o2": EmergencyCheck((Emergency.LIFE,), sure=False),  # unsure false alarm
        "o3": EmergencyCheck(),
        "o4": EmergencyCheck(),
    }
    examples = [example("e1", "life"), example("e2", "poisoning", "hiragana"), example("e3", "life"),
                example("o1", None), example("o2", None), example("o3", None), example("o4", None, "hiragana")]
    report = evaluate(examples, answers.__getitem__, list_errors=True)
    assert report["overall"] == {
        "emergencies": 3, "recall": 0.6667, "recall_sure": 0.3333, "kind_right": 0.3333,
        "ordinary": 4, "false_alarm": 0.5, "false_alarm_sure": 0.25, "false_alarm_unsure": 0.25}
    assert report["per_kind"]["life"]["recall"] == 0.5
    assert report["per_style"]["hiragana"] == {"emergencies": 1, "recall": 1.0, "recall_sure": 0.0,
                                               "kind_right": 0.0, "ordinary": 1, "false_alarm": 0.0,
                                               "false_alarm_sure": 0.0, "false_alarm_unsure": 0.0}
    assert [error["id"] for error in report["errors"]] == ["e2", "e3", "o1", "o2"]


def write_set(folder: Path) -> Path:
    """A tiny set in the blind sets' format (ids as a held-out set's)."""
    folder.mkdir()
    rows = [{"id": "hx-1", "text": "子どもが洗剤を飲んだ", "kind": "poisoning", "style": "standard", "note": ""}]
    (folder / "emergencies.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    rows = [{"id": "hxo-1", "text": "洗剤の捨て方", "style": "standard", "topic": "", "near": "poisoning"}]
    (folder / "ordinary.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    (folder / "README.md").write_text("tiny\n")
    return folder


def test_errors_are_never_listed_for_another_set(tmp_path: Path) -> None:
    held_out = write_set(tmp_path / "held")
    with pytest.raises(ValueError, match="development sets only"):
        run_emergency_eval("all", root=held_out, list_errors=True)
    assert "errors" not in evaluate([example("x", None)], lambda text: EmergencyCheck())
    report = run_emergency_eval("all", root=held_out)
    assert report["set"] == "held" and "errors" not in report["detector"]
    assert report["detector"]["overall"]["recall"] == 1.0 and report["detector"]["overall"]["false_alarm"] == 0.0


def test_the_cli_measures_a_set_by_its_folder_and_refuses_its_texts(tmp_path: Path) -> None:
    held_out = write_set(tmp_path / "held")
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "emergency", "--root", str(held_out), "--split", "all", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["detector"]["overall"]["emergencies"] == 1
    assert runner.invoke(app, ["eval", "emergency", "--root", str(held_out), "--errors"]).exit_code != 0
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    assert runner.invoke(app, ["eval", "emergency", "--root", str(unfinished)]).exit_code != 0
    assert SETS["holdout"].name == "emergency-holdout"
    assert SETS["holdout2"].name == "emergency-holdout-2"
    assert runner.invoke(app, ["eval", "emergency", "--set", "holdout2", "--errors"]).exit_code != 0


def test_the_spent_held_out_set_is_development_data_now() -> None:
    report = run_emergency_eval("all", root=SETS["holdout"], list_errors=True)  # round 2 refused this
    assert isinstance(report["detector"]["errors"], list)


def test_leave_one_writer_out_trains_without_the_held_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    import eval.train_emergency as training

    tiny = {name: load_emergency_set("all", folder)[::40] for name, folder in training.WRITERS.items()}
    trained_on: list[set[str]] = []
    real_fit = training.fitted_model

    def spying(examples: list[EmergencyExample], *args: object) -> object:
        trained_on.append({example.id for example in examples})
        return real_fit(examples)

    monkeypatch.setattr(training, "writer_sets", lambda: tiny)
    monkeypatch.setattr(training, "fitted_model", spying)
    report = leave_one_writer_out()
    assert set(report) == {"cross_validation", "first", "holdout", "train", "pooled"}
    for (name, examples), ids in zip(tiny.items(), trained_on, strict=True):
        assert not ids & {example.id for example in examples}, name
        assert report[name]["detector"]["overall"]["emergencies"] == sum(e.is_emergency for e in examples)
    assert report["pooled"]["overall"]["ordinary"] == sum(not e.is_emergency for v in tiny.values() for e in v)


def test_folds_are_balanced_per_kind_and_stable() -> None:
    examples = load_emergency_set("all")
    folds = fold_of(examples)
    assert folds == fold_of(reversed(examples))
    for kind in ("life", "poisoning", "abuse", "suicide", None):
        sizes = Counter(folds[e.id] for e in examples if e.kind == kind)
        assert len(sizes) == 5 and max(sizes.values()) - min(sizes.values()) <= 1


def test_first_set_floors() -> None:
    report = run_emergency_eval("all")["detector"]
    overall = report["overall"]
    assert overall["emergencies"] >= 200 and overall["ordinary"] >= 400
    assert overall["recall"] >= 0.97
    assert overall["kind_right"] >= 0.95
    assert overall["false_alarm"] <= 0.02
    for kind in ("life", "poisoning", "abuse", "suicide"):
        assert report["per_kind"][kind]["recall"] >= 0.93, kind
    assert report["ms_per_message"]["mean"] < 5


def test_a_baseline_is_measured_with_its_own_model_weights() -> None:
    import subprocess
    import sys

    baseline_from_git("117c521")  # round 2: rules and a model trained on the first set and 429 examples
    loaded = sys.modules["bot_emergency_model_baseline"]._model
    shown = subprocess.run(["git", "show", "117c521:bot/emergency_model.json"], capture_output=True, text=True,
                           check=True).stdout
    assert loaded is not None and len(loaded.weights) == len(json.loads(shown)["weights"])
    assert json.loads(shown)["trained_on"] == 649 + 429


def test_a_baseline_is_measured_with_its_own_rules() -> None:
    round_1 = baseline_from_git("2a0a265")  # round 1: bot/emergency.py and bot/emergency_rules.py of then
    assert round_1("子どもが洗剤飲んだかもしれん").kinds
    assert not round_1("もう いなくなりたい ぜんぶ おわりにしたい").kinds  # 「いぜん」 read inside たいぜんぶ then
    assert check("もう いなくなりたい ぜんぶ おわりにしたい").kinds
