"""``/staff/routing``: the routing table editors own — which team answers tickets about a category, an FAQ
entry or a topic word (``handoff.routing``). Editors and admins only; every change is CSRF-checked and audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bot.categories import CATEGORIES
from console.accounts.deps import EditorStaff, StaffPageError, verify_csrf
from console.accounts.models import StaffUser
from console.formatting import category_label, jst
from console.web import render
from core.deps import SessionDep
from handoff.desk import StaffDesk, get_staff_desk
from handoff.routing import (
    SEED_WORDS,
    UNROUTED,
    RuleChoices,
    RuleError,
    delete_rule,
    list_rules,
    save_rule,
)
from handoff.routing_models import MAX_KEY_CHARS, RULE_KIND_LABELS, RuleKind
from retrieval.normalize import fold_kana

router = APIRouter(prefix="/staff", include_in_schema=False)
Desk = Annotated[StaffDesk, Depends(get_staff_desk)]
CSRF = [Depends(verify_csrf)]
DONE_MESSAGES = {"saved": "振り分けの規則を保存しました。次に受け付ける問い合わせから使われます。",
                 "deleted": "振り分けの規則を削除しました。"}
NOT_FOUND = "この規則は見つかりませんでした（ほかの編集者が削除した可能性があります）。"


def _choices(desk: StaffDesk) -> RuleChoices:
    entries = desk.retriever.entries
    categories = {category.slug for category in CATEGORIES} | {entry.category for entry in entries.values()}
    return RuleChoices(teams=desk.routing.teams, categories=sorted(categories), entries=sorted(entries))


def _context(session: Session, desk: StaffDesk) -> dict[str, Any]:
    """The rules in force: every category with its team and where it comes from, then entry and word rules."""
    choices, table, entries = _choices(desk), desk.routing.table(session), desk.retriever.entries
    stored = {(rule.kind, rule.key): rule for rule in list_rules(session)}
    categories = [{"slug": slug, "label": category_label(slug), "team": table.categories.get(slug),
                   "rule": stored.get((RuleKind.CATEGORY.value, slug)),
                   "seeded": slug in desk.routing.routes} for slug in choices.categories]
    rules = [{"rule": rule, "at": jst(rule.updated_at), "kind_label": RULE_KIND_LABELS[RuleKind(rule.kind)],
              "question": entries[rule.key].question if rule.key in entries else ""}
             for (kind, _), rule in sorted(stored.items()) if kind != RuleKind.CATEGORY.value]
    entry_options = sorted((entry.category, entry.id, entry.question) for entry in entries.values())
    seeded: dict[str, list[str]] = {}  # team → its seed topic words (as written) that no stored rule overrides
    for team, words in SEED_WORDS.items():
        if team in desk.routing.teams:
            seeded[team] = [word for word in words if (RuleKind.WORD.value, fold_kana(word)) not in stored]
    return {"categories": categories, "rules": rules, "teams": choices.teams, "unrouted": UNROUTED,
            "entry_options": entry_options, "max_key": MAX_KEY_CHARS, "seeded_words": sorted(seeded.items())}


def _page(request: Request, session: Session, editor: StaffUser, desk: StaffDesk, *, error: str = "",
          notice: str = "", status_code: int = status.HTTP_200_OK) -> Response:
    context = {**_context(session, desk), "error": error, "notice": notice}
    return render(request, "routing.html", context, staff=editor, status_code=status_code)


@router.get("/routing", response_class=HTMLResponse)
def routing_page(request: Request, session: SessionDep, editor: EditorStaff, desk: Desk,
                 done: str | None = None) -> Response:
    return _page(request, session, editor, desk, notice=DONE_MESSAGES.get(done or "", ""))


@router.post("/routing", dependencies=CSRF)
def save_routing_rule(request: Request, session: SessionDep, editor: EditorStaff, desk: Desk,
                      kind: Annotated[str, Form(max_length=20)] = "",
                      key: Annotated[str, Form(max_length=MAX_KEY_CHARS)] = "",
                      team: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Add or change one rule (kind + key → team)."""
    try:
        save_rule(session, kind=kind, key=key, team=team, choices=_choices(desk), actor=editor.username,
                  actor_staff_id=editor.id)
    except RuleError as refused:
        session.rollback()
        return _page(request, session, editor, desk, error=str(refused), status_code=status.HTTP_400_BAD_REQUEST)
    session.commit()
    return RedirectResponse("/staff/routing?done=saved", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/routing/{rule_id}/delete", dependencies=CSRF)
def delete_routing_rule(rule_id: int, session: SessionDep, editor: EditorStaff) -> Response:
    """Remove one rule; a category the settings route goes back to the settings' team."""
    if not delete_rule(session, rule_id, actor=editor.username, actor_staff_id=editor.id):
        raise StaffPageError(status.HTTP_404_NOT_FOUND, NOT_FOUND, staff=editor)
    session.commit()
    return RedirectResponse("/staff/routing?done=deleted", status_code=status.HTTP_303_SEE_OTHER)
