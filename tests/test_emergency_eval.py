"""The emergency eval: its counting, its refusal to list test-split texts, and floors on the dev split.

The floors sit a little below what the detector measured on the dev split (recall 1.0, false alarms 0.0 with
``tsunagu eval emergency --split dev``), so a change that loses emergencies or raises alarms fails here.
"""

from __future__ import annotations

import pytest

from bot.emergency import Emergency, EmergencyCheck
from eval.emergency_eval import evaluate, run_emergency_eval
from eval.emergency_set import EmergencyExample


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


def test_errors_are_never_listed_for_the_test_split() -> None:
    with pytest.raises(ValueError, match="dev split only"):
        run_emergency_eval("test", list_errors=True)
    assert "errors" not in evaluate([example("x", None)], lambda text: EmergencyCheck())


def test_dev_split_floors() -> None:
    report = run_emergency_eval("dev")["detector"]
    overall = report["overall"]
    assert overall["emergencies"] >= 75 and overall["ordinary"] >= 150
    assert overall["recall"] >= 0.97
    assert overall["kind_right"] >= 0.95
    assert overall["false_alarm"] <= 0.02
    for kind in ("life", "poisoning", "abuse", "suicide"):
        assert report["per_kind"][kind]["recall"] >= 0.93, kind
    assert report["ms_per_message"]["mean"] < 5
