"""``/staff/faq/transfer``: FAQ export (CSV for Excel, or the pack's YAML) and import from the console.

An import is checked row by row first; a file with any bad row (or a category no entry uses yet) changes
nothing and lists every problem with its spreadsheet row. A valid file then goes through the quality gate like a
publish: the page shows accuracy before and after, and a drop of more than 2 points needs the same audited
confirmation (the editor chooses the same file again and ticks the box; the confirmation holds only for a file
with the same content, by its SHA-256). Then it becomes one new knowledge version at once (entries missing from
it are archived, never deleted, so 「以前の版に戻す」 undoes it). The same as ``tsunagu faq export`` /
``tsunagu faq import`` (which has no gate: the CLI is an operator's tool).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console import audit
from console.accounts.deps import EditorStaff, verify_csrf
from console.web import render
from core.clock import JAPAN
from core.deps import SessionDep
from editor.publish import GateDep, PublisherDep, audit_detail, check_gate
from editor.publishing import gate_rows
from editor.quality_gate import GateResult
from knowledge.service import list_entries
from knowledge.transfer import ImportResult, export_csv, export_yaml, known_categories, read_import

router = APIRouter(prefix="/staff/faq", include_in_schema=False)
MAX_UPLOAD_BYTES = 5_000_000  # the Toyama pack as CSV is well under 1 MB
SUFFIXES = (".csv", ".yaml", ".yml")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "yaml": "application/yaml; charset=utf-8"}


@router.get("/transfer", response_class=HTMLResponse)
def transfer_page(request: Request, editor: EditorStaff) -> Response:
    return render(request, "transfer.html", {}, staff=editor)


@router.get("/export.{file_format}")
def export(file_format: str, session: SessionDep, editor: EditorStaff) -> Response:
    """Every entry (any status) as a download; ``faq import`` and this page's import read it back."""
    if file_format not in MEDIA_TYPES:
        return Response("csv か yaml を指定してください。", status_code=404, media_type="text/plain; charset=utf-8")
    entries = list_entries(session=session, status=None)
    with tempfile.TemporaryDirectory(prefix="tsunagu-export-") as folder:
        path = Path(folder) / f"faq.{file_format}"
        (export_csv if file_format == "csv" else export_yaml)(entries, path)
        body = path.read_bytes()
    name = f"faq-{dt.datetime.now(JAPAN):%Y%m%d}.{file_format}"
    return Response(body, media_type=MEDIA_TYPES[file_format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/import", dependencies=[Depends(verify_csrf)])
def import_file(
    request: Request, session: SessionDep, editor: EditorStaff, publisher: PublisherDep, gate: GateDep,
    file: Annotated[UploadFile, File()], dry_run: Annotated[bool, Form()] = False,
    confirm_drop: Annotated[bool, Form()] = False, checked: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Check the file and its quality gate; publish it as a new version only when every row is valid, this is
    not a dry run, and a drop of more than 2 points was confirmed for this very file."""
    name = Path(file.filename or "").name
    raw = file.file.read(MAX_UPLOAD_BYTES + 1)
    problem = _upload_problem(name, raw)
    if problem:
        return _result_page(request, editor, name, None, problem, status_code=400)
    result = _read(name, raw, known_categories(session))
    if not result.ok:
        return _result_page(request, editor, name, result, "誤りのある行があるため、何も変更しませんでした。",
                            status_code=400)
    candidate = publisher.prepare_replace(session, result.entries)
    checked_gate = check_gate(gate, publisher, candidate)
    digest = hashlib.sha256(raw).hexdigest()
    if dry_run:
        message = f"{len(result.entries)} 件、誤りはありません（確認だけのため、何も変更していません）。"
        return _result_page(request, editor, name, result, message, checked_gate=checked_gate)
    needs_confirmation = checked_gate is not None and checked_gate.needs_confirmation
    if needs_confirmation and not (confirm_drop and checked == digest):
        return _result_page(request, editor, name, result, DROP_MESSAGE, checked_gate=checked_gate,
                            digest=digest, status_code=409)
    outcome = publisher.replace_all(
        session, entries=result.entries, author=editor.username, kind="import", note=f"取り込み {name}"[:500],
        metrics={"gate": checked_gate.as_dict()} if checked_gate else None, gate_confirmed=needs_confirmation,
        candidate=candidate)
    audit.record(session, action="faq_imported_despite_drop" if needs_confirmation else "faq_imported",
                 actor=editor.username, actor_staff_id=editor.id,
                 detail=audit_detail(outcome.version.id, [e.id for e in result.entries], checked_gate))
    session.commit()
    return RedirectResponse(f"/staff/versions/{outcome.version.id}?done=imported", status_code=303)


DROP_MESSAGE = ("品質チェックで正解率が2ポイント以上下がりました。まだ何も変更していません。内容を確認し、"
                "それでも取り込む場合は、同じファイルをもう一度選び、「下がることを確認した」にチェックしてから"
                "「取り込んで公開する」を押してください。")


def _upload_problem(name: str, raw: bytes) -> str | None:
    if not raw:
        return "ファイルを選んでください。"
    if len(raw) > MAX_UPLOAD_BYTES:
        return f"ファイルが大きすぎます（{MAX_UPLOAD_BYTES // 1_000_000} MB まで）。"
    if Path(name).suffix.lower() not in SUFFIXES:
        return "拡張子が .csv / .yaml / .yml のファイルを選んでください。"
    return None


def _read(name: str, raw: bytes, categories: set[str]) -> ImportResult:
    """Validate the uploaded bytes with the CLI's reader (it decides by the file's extension)."""
    with tempfile.TemporaryDirectory(prefix="tsunagu-import-") as folder:
        path = Path(folder) / f"upload{Path(name).suffix.lower()}"
        path.write_bytes(raw)
        return read_import(path, categories)


def _result_page(
    request: Request, editor: EditorStaff, name: str, result: ImportResult | None, message: str, *,
    checked_gate: GateResult | None = None, digest: str = "", status_code: int = 200,
) -> HTMLResponse:
    return render(request, "transfer.html", {
        "file_name": name, "message": message, "ok": status_code == 200,
        "errors": [str(e) for e in result.errors] if result else [],
        "encoding": result.encoding if result else None,
        "gate": checked_gate, "gate_rows": gate_rows(checked_gate.as_dict()) if checked_gate else [],
        "digest": digest,
    }, staff=editor, status_code=status_code)

