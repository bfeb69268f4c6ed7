"""What the citizen is told about a ticket, as channel-neutral replies (fixed Japanese text; each channel renders
them, ``bot.channel``)."""

from __future__ import annotations

from bot.desk import CANCEL_ARGUMENT
from bot.postback import PostbackSigner
from bot.replies import PostbackChoice, Say, say

TEXT = {
    "opened": "質問を市の職員に送りました（受付番号 {ticket_id}）。\n{expectation}\n"
    "取り消すときは「キャンセル」と送ってください。",
    "joined": "職員に伝えました（受付番号 {ticket_id}）。お返事までお待ちください。",
    "answered_while_open": "このメッセージも職員に伝えました（受付番号 {ticket_id}）。"
    "職員への質問はそのまま受け付けています。\n市の公開情報で分かることを、先にお送りします。",
    "still_open": "職員への質問（受付番号 {ticket_id}）を受け付けています。"
    "付け加えたいことは、そのまま送ってください。職員に伝わります。",
    "staff_answer": "【市の職員からの回答（受付番号 {ticket_id}）】\n{text}",
    "resolved": "職員の対応を終了しました（受付番号 {ticket_id}）。これからは、つなぐ（自動応答）がお答えします。\n"
    "職員の回答は役に立ちましたか？",
    "cancelled": "職員への質問（受付番号 {ticket_id}）を取り消しました。"
    "ほかに知りたいことがあれば、いつでも送ってください。",
    "nothing_to_cancel": "取り消す質問はありません。知りたいことがあれば、文章で送ってください。",
    "rating_thanks": "ご意見ありがとうございます。今後の対応に役立てます。",
}


class CitizenReplies:
    """Builds the replies a citizen receives about their ticket.

    Args:
        signer: signs the buttons (cancel, 👍/👎) for the user they are sent to.
    """

    def __init__(self, signer: PostbackSigner) -> None:
        self.signer = signer

    def _cancel_button(self, user_id: str) -> PostbackChoice:
        return PostbackChoice("質問を取り消す", self.signer.sign(user_id, "cancel", CANCEL_ARGUMENT), "キャンセル")

    def opened(self, user_id: str, ticket_id: int, expectation: str) -> list[Say]:
        text = TEXT["opened"].format(ticket_id=ticket_id, expectation=expectation)
        return say(text, [self._cancel_button(user_id)])

    def joined(self, user_id: str, ticket_id: int) -> list[Say]:
        return say(TEXT["joined"].format(ticket_id=ticket_id), [self._cancel_button(user_id)])

    def answered_while_open(self, ticket_id: int) -> list[Say]:
        """Said before the bot's own answer to a follow-up: the message reached staff too, the ticket stays open."""
        return say(TEXT["answered_while_open"].format(ticket_id=ticket_id))

    def still_open(self, user_id: str, ticket_id: int) -> list[Say]:
        """For 「職員に相談」 while a ticket is open: nothing new to open, just write."""
        return say(TEXT["still_open"].format(ticket_id=ticket_id), [self._cancel_button(user_id)])

    def staff_answer(self, ticket_id: int, text: str) -> list[Say]:
        return say(TEXT["staff_answer"].format(ticket_id=ticket_id, text=text))

    def resolved(self, user_id: str, ticket_id: int) -> list[Say]:
        choices = [
            PostbackChoice("👍 役に立った", self.signer.sign(user_id, "feedback", f"staff-up:{ticket_id}"),
                           "役に立った"),
            PostbackChoice("👎 役に立たなかった", self.signer.sign(user_id, "feedback", f"staff-down:{ticket_id}"),
                           "役に立たなかった"),
        ]
        return say(TEXT["resolved"].format(ticket_id=ticket_id), choices)

    def cancelled(self, ticket_id: int) -> list[Say]:
        return say(TEXT["cancelled"].format(ticket_id=ticket_id))

    def nothing_to_cancel(self) -> list[Say]:
        return say(TEXT["nothing_to_cancel"])

    def rating_thanks(self) -> list[Say]:
        return say(TEXT["rating_thanks"])

