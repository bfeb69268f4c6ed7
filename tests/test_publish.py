"""Pending changes, publishing as versions, diffs, rollback, and every process following the newest version."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session

from knowledge.changes import discard_change, pending_changes, stage_alt_question, stage_change, working_entry
from knowledge.publish import NothingToPublish, replace_published
from knowledge.schema import FaqEntryData
from knowledge.service import list_entries
from knowledge.versions import diff_entries, latest_version, list_versions
from tests.conftest import MINI_PACK
from tests.utils.services import make_test_services
from tsunagu.container import Services
from tsunagu.live_index import LiveIndex
from tsunagu.settings import Settings

APPLY = "childcare-nursery-apply-period"
NEW_ANSWER = "4月入所の申込みは、10月1日から10月31日までです。"


def _services(database_url: str) -> Services:
    return make_test_services(Settings(database_url=database_url, pack_dir=MINI_PACK))


def _edited(services: Services, faq_id: str, **changes: object) -> FaqEntryData:
    with Session(services.engine) as session:
        entry = working_entry(session, faq_id)
    assert entry is not None
    return entry.model_copy(update=changes)


def _stage(services: Services, entry: FaqEntryData) -> None:
    with Session(services.engine) as session:
        stage_change(session, entry=entry, author="editor1")
        session.commit()


def test_first_start_records_the_loaded_pack_as_version_one(database_url: str) -> None:
    services = _services(database_url)
    with Session(services.engine) as session:
        version = latest_version(session)
    assert version is not None and version.kind == "load"
    assert services.index.snapshot().version_id == version.id
    assert {e["id"] for e in version.entries} == set(services.retriever.entries)


def test_a_staged_change_is_not_served_until_published(database_url: str) -> None:
    services = _services(database_url)
    live = LiveIndex(services)
    _stage(services, _edited(services, APPLY, answer=NEW_ANSWER))
    with Session(services.engine) as session:
        assert [e.answer for e in list_entries(session=session) if e.id == APPLY] != [NEW_ANSWER]
        assert working_entry(session, APPLY).answer == NEW_ANSWER  # type: ignore[union-attr]
        result = live.publish(session, author="editor1", note="申込期間を更新")
        assert pending_changes(session) == []
    assert result.swapped_here
    assert result.version.changed_ids == [APPLY] and result.version.note == "申込期間を更新"
    assert services.retriever.entries[APPLY].answer == NEW_ANSWER
    assert services.index.snapshot().version_id == result.version.id


def test_publishing_nothing_is_refused(database_url: str) -> None:
    services = _services(database_url)
    with Session(services.engine) as session, pytest.raises(NothingToPublish):
        LiveIndex(services).publish(session, author="editor1")


def test_alt_question_and_archive_and_diff(sqlite_url: str) -> None:
    services = _services(sqlite_url)
    with Session(services.engine) as session:
        stage_alt_question(session, faq_id=APPLY, text="保育園 いつから申し込める", author="editor1")
        with pytest.raises(ValueError):
            stage_alt_question(session, faq_id=APPLY, text="保育園の申込期間を知りたい", author="editor1")
        with pytest.raises(KeyError):
            stage_alt_question(session, faq_id="no-such-entry", text="x", author="editor1")
        session.commit()
    _stage(services, _edited(services, "childcare-nursery-documents", status="archived"))
    with Session(services.engine) as session:
        before = latest_version(session)
        assert before is not None
        before_entries = before.entry_map()
        result = LiveIndex(services).publish(session, author="editor1")
        diffs = {d.faq_id: d for d in diff_entries(before_entries, result.version.entry_map())}
    assert "childcare-nursery-documents" not in services.retriever.entries
    assert "保育園 いつから申し込める" in services.retriever.entries[APPLY].alt_questions
    assert diffs["childcare-nursery-documents"].kind == "archived"
    alt_change = diffs[APPLY].fields[0]
    assert (alt_change.field, alt_change.after[-1]) == ("alt_questions", "保育園 いつから申し込める")
    assert set(diffs) == {APPLY, "childcare-nursery-documents"}


def test_discard_drops_only_the_pending_version(sqlite_url: str) -> None:
    services = _services(sqlite_url)
    _stage(services, _edited(services, APPLY, answer=NEW_ANSWER))
    with Session(services.engine) as session:
        assert discard_change(session, APPLY) and not discard_change(session, APPLY)
        session.commit()
        assert working_entry(session, APPLY).answer != NEW_ANSWER  # type: ignore[union-attr]


def test_rollback_restores_a_version_and_archives_what_came_later(database_url: str) -> None:
    services = _services(database_url)
    live = LiveIndex(services)
    with Session(services.engine) as session:
        first = latest_version(session)
        assert first is not None and first.id is not None
        first_id, first_answer = first.id, first.entry_map()[APPLY].answer
    new_entry = _edited(services, APPLY, id="childcare-new-entry", question="一時預かりはありますか？")
    _stage(services, new_entry)
    _stage(services, _edited(services, APPLY, answer=NEW_ANSWER))
    with Session(services.engine) as session:
        live.publish(session, author="editor1")
        result = live.rollback(session, version_id=first_id, author="admin1")
        kinds = [v.kind for v in list_versions(session)[:3]]
        note = result.version.note
        entries = {e.id: e for e in list_entries(session=session, status=None)}
    assert kinds == ["rollback", "publish", "load"]
    assert note == f"版 {first_id} に戻しました"
    assert entries["childcare-new-entry"].status == "archived"  # archived, never deleted
    assert services.retriever.entries[APPLY].answer == first_answer
    assert "childcare-new-entry" not in services.retriever.entries


def test_import_replaces_as_one_version_and_archives_missing_entries(sqlite_url: str) -> None:
    services = _services(sqlite_url)
    with Session(services.engine) as session:
        kept = [e for e in list_entries(session=session) if e.id != APPLY]
        version = replace_published(session, entries=kept, author="editor1", kind="import")
        assert {e.id: e.status for e in list_entries(session=session, status=None)}[APPLY] == "archived"
        assert version.kind == "import" and version.changed_ids == [APPLY]


def test_another_process_follows_a_publish(database_url: str) -> None:
    """Two processes on one database: B serves A's publish after one refresh, without a restart."""
    editor_process, worker_process = _services(database_url), _services(database_url)
    _stage(editor_process, _edited(editor_process, APPLY, answer=NEW_ANSWER))
    with Session(editor_process.engine) as session:
        version_id = LiveIndex(editor_process).publish(session, author="editor1").version.id
    follower = LiveIndex(worker_process)
    assert worker_process.retriever.entries[APPLY].answer != NEW_ANSWER
    assert follower.refresh() is True
    assert worker_process.retriever.entries[APPLY].answer == NEW_ANSWER
    assert worker_process.index.snapshot().version_id == version_id
    assert follower.refresh() is False  # nothing newer: no rebuild


def test_the_follow_thread_picks_up_a_publish(sqlite_url: str) -> None:
    editor_process, worker_process = _services(sqlite_url), _services(sqlite_url)
    stop = threading.Event()
    follower = LiveIndex(worker_process, poll_s=0.05)
    thread = follower.start(stop)
    try:
        _stage(editor_process, _edited(editor_process, APPLY, answer=NEW_ANSWER))
        with Session(editor_process.engine) as session:
            version_id = LiveIndex(editor_process).publish(session, author="editor1").version.id
        for _ in range(200):
            if worker_process.index.snapshot().version_id == version_id:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(5)
    assert worker_process.retriever.entries[APPLY].answer == NEW_ANSWER


def test_a_publish_racing_another_leaves_no_process_behind(sqlite_url: str) -> None:
    """Process A prepared its index, then B published before A committed: A must not claim to serve the newest
    version with an index lacking B's change."""
    a, b = _services(sqlite_url), _services(sqlite_url)
    _stage(a, _edited(a, APPLY, answer=NEW_ANSWER))
    live_a = LiveIndex(a)
    with Session(a.engine) as session:
        candidate = live_a.prepare_publish(session, faq_ids=[APPLY])
        _stage(b, _edited(b, "childcare-nursery-documents", answer="書類は申込書と就労証明書です。"))
        with Session(b.engine) as other:
            LiveIndex(b).publish(other, author="editor2", faq_ids=["childcare-nursery-documents"])
        live_a.refresh()  # A's watcher may even have followed B already: A must still not swap its candidate
        result = live_a.publish(session, author="editor1", faq_ids=[APPLY], candidate=candidate)
    assert not result.swapped_here
    assert a.retriever.entries[APPLY].answer == NEW_ANSWER
    assert a.retriever.entries["childcare-nursery-documents"].answer == "書類は申込書と就労証明書です。"


def test_questions_asked_during_swaps_never_fail(sqlite_url: str) -> None:
    services = _services(sqlite_url)
    live = LiveIndex(services)
    errors: list[BaseException] = []
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            try:
                decision = services.retriever.decide("保育園の申込みはいつ？")
                assert decision.kind.value in ("ANSWER", "SUGGEST", "HANDOFF")
            except BaseException as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        for round_number in range(6):
            status = "archived" if round_number % 2 == 0 else "published"
            _stage(services, _edited(services, APPLY, status=status))
            with Session(services.engine) as session:
                live.publish(session, author="editor1")
    finally:
        stop.set()
        asker.join(10)
    assert errors == []
    with Session(services.engine) as session:
        assert len(list_versions(session)) == 7
