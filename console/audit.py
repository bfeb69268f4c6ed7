"""The audit log: every state change of a ticket, with who did it and when."""

from __future__ import annotations

from sqlmodel import Session, col, select

from console.models import AuditEvent

CITIZEN = "citizen"
SYSTEM = "system"
ACTION_LABELS = {
    "ticket_opened": "受付", "ticket_urgent": "至急に変更", "ticket_claimed": "担当", "ticket_unclaimed": "担当解除",
    "ticket_transferred": "転送", "ticket_replied": "回答送信", "ticket_resolved": "対応終了",
    "ticket_cancelled": "利用者が取り消し", "ticket_rated": "利用者の評価", "faq_draft_created": "FAQ案作成",
    "faq_change_saved": "FAQの変更を保存", "faq_change_archived": "FAQのアーカイブを保存",
    "faq_change_discarded": "FAQの未公開の変更を取り消し", "faq_draft_rejected": "FAQ案を採用しない",
    "citizen_data_deleted": "利用者がデータ削除", "retention_purged": "保存期間を過ぎた記録を削除",
    "account_created": "アカウント作成", "account_updated": "アカウント変更",
    "account_password_reset": "パスワード再設定", "account_disabled": "アカウント無効化",
    "account_enabled": "アカウント再有効化",
    "faq_published": "FAQを公開", "faq_published_despite_drop": "FAQを公開（正解率の低下を確認済み）",
    "faq_rolled_back": "FAQを以前の版に戻す", "faq_imported": "FAQを取り込み",
    "faq_imported_despite_drop": "FAQを取り込み（正解率の低下を確認済み）",
    "unanswered_added": "未回答の質問を言い換えとして追加", "unanswered_drafted": "未回答の質問からFAQを作成",
    "unanswered_dismissed": "未回答の質問を対応不要に",
    "routing_rule_saved": "振り分けの規則を保存", "routing_rule_deleted": "振り分けの規則を削除",
    "ticket_note_added": "内部メモを追加", "canned_reply_created": "定型文を作成",
    "canned_reply_updated": "定型文を変更", "canned_reply_deleted": "定型文を削除",
}
ACTOR_LABELS = {CITIZEN: "利用者", SYSTEM: "システム"}


def record(
    session: Session, *, action: str, actor: str, actor_staff_id: int | None = None,
    ticket_id: int | None = None, detail: str = "",
) -> None:
    """Add one audit event to ``session`` (committed with the change it describes)."""
    session.add(AuditEvent(
        action=action, actor=actor, actor_staff_id=actor_staff_id, ticket_id=ticket_id, detail=detail[:300],
    ))


def recent(session: Session, *, ticket_id: int | None = None, limit: int = 200) -> list[AuditEvent]:
    """Newest first; one ticket's events when ``ticket_id`` is given."""
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    if ticket_id is not None:
        query = query.where(col(AuditEvent.ticket_id) == ticket_id)
    return list(session.exec(query))
