"""``/staff/faq/transfer``: FAQ export (CSV for Excel, or the pack's YAML) and import from the console.

An import is checked row by row first; a file with any bad row changes nothing and lists every problem with its
CSV line. A valid file becomes one new knowledge version at once (entries missing from it are archived, never
deleted, so 「以前の版に戻す」 undoes it). The same as ``tsunagu faq export`` / ``tsunagu faq import``.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from editor.publish import PublisherDep
from handoff import audit
from handoff.accounts.deps import EditorStaff, verify_csrf
from handoff.web import render
from knowledge.service import list_entries
from knowledge.transfer import ImportResult, export_csv, export_yaml, read_import
from tsunagu.clock import JAPAN
from tsunagu.deps import SessionDep

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
async def import_file(
    request: Request, session: SessionDep, editor: EditorStaff, publisher: PublisherDep,
    file: Annotated[UploadFile, File()], dry_run: Annotated[bool, Form()] = False,
) -> Response:
    """Check the file; publish it as a new version only when every row is valid and this is not a dry run."""
    name = Path(file.filename or "").name
    raw = await file.read(MAX_UPLOAD_BYTES + 1)
    problem = _upload_problem(name, raw)
    if problem:
        return _result_page(request, editor, name, None, problem, status_code=400)
    result = _read(name, raw)
    if not result.ok:
        return _result_page(request, editor, name, result, "誤りのある行があるため、何も変更しませんでした。",
                            status_code=400)
    if dry_run:
        return _result_page(request, editor, name, result,
                            f"{len(result.entries)} 件、誤りはありません（確認だけのため、何も変更していません）。")
    outcome = publisher.replace_all(session, entries=result.entries, author=editor.username, kind="import",
                                    note=f"取り込み {name}"[:500])
    audit.record(session, action="faq_imported", actor=editor.username, actor_staff_id=editor.id,
                 detail=f"version={outcome.version.id} entries={len(result.entries)}")
    session.commit()
    return RedirectResponse(f"/staff/versions/{outcome.version.id}?done=imported", status_code=303)


def _upload_problem(name: str, raw: bytes) -> str | None:
    if not raw:
        return "ファイルを選んでください。"
    if len(raw) > MAX_UPLOAD_BYTES:
        return f"ファイルが大きすぎます（{MAX_UPLOAD_BYTES // 1_000_000} MB まで）。"
    if Path(name).suffix.lower() not in SUFFIXES:
        return "拡張子が .csv / .yaml / .yml のファイルを選んでください。"
    return None


def _read(name: str, raw: bytes) -> ImportResult:
    """Validate the uploaded bytes with the CLI's reader (it decides by the file's extension)."""
    with tempfile.TemporaryDirectory(prefix="tsunagu-import-") as folder:
        path = Path(folder) / f"upload{Path(name).suffix.lower()}"
        path.write_bytes(raw)
        return read_import(path)


def _result_page(
    request: Request, editor: EditorStaff, name: str, result: ImportResult | None, message: str, *,
    status_code: int = 200,
) -> HTMLResponse:
    return render(request, "transfer.html", {
        "file_name": name, "message": message, "ok": status_code == 200,
        "errors": [str(e) for e in result.errors] if result else [],
        "encoding": result.encoding if result else None,
    }, staff=editor, status_code=status_code)

