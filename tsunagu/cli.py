"""The ``tsunagu`` command line: thin commands that call services and print results."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from core.logging_setup import configure_logging
from knowledge.packs import PackValidationError
from retrieval.errors import RetrievalError
from tsunagu.cli_common import echo_json, fail, fail_with_errors
from tsunagu.cli_db import db_app
from tsunagu.cli_measure import bench_app, eval_app
from tsunagu.cli_purge import purge
from tsunagu.cli_users import users_app
from tsunagu.settings import Settings, get_settings, line_secret

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from knowledge.packs import Pack

app = typer.Typer(help="Tsunagu: a LINE FAQ chatbot for city services.", no_args_is_help=True)
faq_app = typer.Typer(help="Manage FAQ knowledge packs.", no_args_is_help=True)
app.add_typer(faq_app, name="faq")
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")
app.add_typer(users_app, name="users")
richmenu_app = typer.Typer(
    help="LINE のリッチメニュー（トーク画面下のメニュー）/ The LINE rich menu: preview its image or deploy it.",
    no_args_is_help=True,
)
app.add_typer(richmenu_app, name="richmenu")
app.add_typer(db_app, name="db")
app.command("purge")(purge)

logger = logging.getLogger("tsunagu")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Web processes (uvicorn workers of the app factory).")] = 1,
    bot_workers: Annotated[int, typer.Option(
        min=0, help="Bot worker processes started beside the web app once it is ready, restarted if they die "
                    "(0: the worker runs inside the web app unless TSUNAGU_RUN_WORKER_IN_PROCESS=false).")] = 0,
) -> None:
    """Start the web app (database migrated, sample pack loaded into an empty database, index built)."""
    from tsunagu.metrics_dir import share_metrics_dir

    share_metrics_dir(workers + bot_workers)  # before anything imports prometheus-client (tsunagu/metrics.py)
    from tsunagu.serving import ServeError, ServeOptions, run_server

    try:
        run_server(ServeOptions(host=host, port=port, workers=workers, bot_workers=bot_workers))
    except ServeError as exc:
        fail(str(exc))


@app.command()
def worker() -> None:
    """Run the bot worker alone (inbox → conversation → outbox → LINE); stop with Ctrl-C."""
    import asyncio
    import signal
    import threading

    from tsunagu.bot_runtime import run_worker
    from tsunagu.container import build_services
    from tsunagu.live_index import LiveIndex
    from tsunagu.metrics import serve_worker_metrics

    settings = get_settings()
    configure_logging(settings, user_ref_secret=line_secret(settings))  # INFO, like `tsunagu serve`
    services = build_services(settings)
    serve_worker_metrics(settings)  # TSUNAGU_METRICS_PORT: this worker's own metrics (none otherwise)
    LiveIndex(services, poll_s=settings.knowledge_poll_s).start(threading.Event())  # daemon: ends with us

    async def main_loop() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run_worker(services, stop)

    asyncio.run(main_loop())


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="The question, as a citizen would type it.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Show the bot's decision for one question and the top 5 FAQ entries with their scores."""
    from tsunagu.answers import ask as ask_question
    from tsunagu.container import build_services

    services = build_services(get_settings())
    result = ask_question(services.retriever, text)
    if as_json:
        echo_json(result.model_dump())
        return
    typer.echo(f"判定: {result.decision} ({result.reason})  確信度: {result.confidence:.3f}")
    if result.answer:
        typer.echo(f"\n[{result.faq_id}]\n{result.answer}\n")
    typer.echo("候補:")
    for rank, c in enumerate(result.candidates, start=1):
        typer.echo(f"  {rank}. {c.score:.3f} (dense {c.dense:.3f}, lexical {c.lexical:.3f})  {c.faq_id}  {c.question}")


@faq_app.command("load")
def faq_load(
    pack_dir: Annotated[Path, typer.Argument(help="Folder of the knowledge pack (YAML files).")],
    check: Annotated[bool, typer.Option("--check", help="Only validate; change nothing.")] = False,
    embed: Annotated[bool, typer.Option(
        "--embed", help="Also embed the new texts now (progress bar on stderr), so the next start is ready at "
                        "once instead of building the index in the background.")] = False,
) -> None:
    """Validate a pack and, if it has no errors at all, publish its entries as a new knowledge version
    (entries the pack lacks are archived; running servers and workers serve it within seconds)."""
    from knowledge.packs import read_pack

    try:
        pack = read_pack(pack_dir)
    except PackValidationError as exc:
        fail_with_errors(exc.errors, "何も読み込みませんでした。")
    if check:
        typer.echo(f"OK: {len(pack.entries)} 件 ({pack_dir})")
        return
    settings = get_settings()
    engine, loaded = _replace_entries(settings, pack, kind="load", note=f"tsunagu faq load {pack_dir.name}")
    typer.echo(f"{loaded} 件を読み込みました ({pack_dir})")
    if embed:
        _embed_pack(settings, engine, pack)


def _migrated_engine(settings: Settings) -> Engine:
    """An engine on the settings' database, its schema upgraded first."""
    from core.db import make_engine
    from tsunagu.db import migrate

    migrate(settings.database_url)
    return make_engine(settings.database_url)


def _replace_entries(settings: Settings, pack: Pack, *, kind: str, note: str,
                     engine: Engine | None = None) -> tuple[Engine, int]:
    """Make ``pack``'s entries the published knowledge as one new version, in one transaction (schema upgraded
    first unless ``engine`` is one already upgraded; entries the pack lacks are archived); running servers and
    workers pick it up within seconds. The engine and the count."""
    from sqlmodel import Session

    from knowledge.publish import replace_published

    engine = engine or _migrated_engine(settings)
    with Session(engine) as session:
        replace_published(session, entries=pack.entries, author="cli", kind=kind, note=note)
    return engine, len(pack.entries)


@faq_app.command("export")
def faq_export(
    file: Annotated[Path, typer.Argument(help="File to write (.csv or .yaml).")],
    file_format: Annotated[str, typer.Option(
        "--format", help="csv (UTF-8 with BOM, opens in Excel) or yaml (the pack's entries format).")] = "csv",
    pack_dir: Annotated[Path | None, typer.Option(
        "--pack", help="Export this pack folder's entries instead of the database's.")] = None,
) -> None:
    """Write every FAQ entry (any status) to a CSV or YAML file that `faq import` reads back."""
    from knowledge.transfer import export_csv, export_yaml

    if file_format not in ("csv", "yaml"):
        fail("--format は csv か yaml を指定してください")
    entries = _entries_to_export(pack_dir)
    (export_csv if file_format == "csv" else export_yaml)(entries, file)
    typer.echo(f"{len(entries)} 件を書き出しました ({file})")


def _entries_to_export(pack_dir: Path | None) -> list[Any]:
    """The entries of ``pack_dir`` when given, else every entry of the database."""
    if pack_dir is not None:
        from knowledge.packs import read_pack

        return list(read_pack(pack_dir).entries)
    from sqlmodel import Session

    from core.db import make_engine
    from knowledge.service import list_entries
    from tsunagu.db import migrate

    settings = get_settings()
    migrate(settings.database_url)
    with Session(make_engine(settings.database_url)) as session:
        return list(list_entries(session=session, status=None))


@faq_app.command("import")
def faq_import(
    file: Annotated[Path, typer.Argument(help="A .csv or .yaml file written by `faq export` (or a pack folder).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only validate and list every bad row.")] = False,
) -> None:
    """Validate every row and, only if none is wrong, publish the file's entries as one new knowledge version
    (entries missing from the file are archived; running servers and workers serve it within seconds).

    Exit code 0 only when every row is valid."""
    from sqlmodel import Session

    from knowledge.transfer import known_categories, read_import

    settings = get_settings()
    engine = _migrated_engine(settings)  # one upgrade and one engine for the category check and the import
    try:
        with Session(engine) as session:
            known = known_categories(session)  # an import may use only these (none known: no check)
        result = read_import(file, known)
        if result.encoding:
            typer.echo(f"文字コード: {result.encoding}", err=True)
        if not result.ok:
            fail_with_errors(result.errors, "何も変更しませんでした。")
        if dry_run:
            typer.echo(f"OK: {len(result.entries)} 件、誤りはありません（--dry-run のため何も変更していません）")
            return
        _, loaded = _replace_entries(settings, result.pack(file.stem), kind="import",
                                    note=f"tsunagu faq import {file.name}", engine=engine)
    finally:
        engine.dispose()
    typer.echo(f"{loaded} 件を読み込みました ({file})")


def _embed_pack(settings: Settings, engine: Engine, pack: Pack) -> None:
    """Fill the embedding cache for ``pack`` with a progress bar (the server then finds every vector cached)."""
    from retrieval.cache import SqlVectorStore
    from retrieval.factory import make_retriever
    from tsunagu.progress import stage_bars

    retriever = make_retriever(settings, synonyms=pack.synonyms, store=SqlVectorStore(engine))
    with stage_bars() as report:
        progress = (lambda done, total: report("corpus", done, total)) if report else None
        stats = retriever.build(pack.entries, progress=progress)
    typer.echo(f"{stats.embedded} 件の文を新たに埋め込みました（{stats.seconds:.0f} 秒）")


@richmenu_app.command("preview")
def richmenu_preview(
    out: Annotated[Path, typer.Argument(help="書き出す PNG ファイル / PNG file to write.")],
) -> None:
    """リッチメニューの画像を書き出します（LINE には接続しません）。
    Write the rich menu image (PNG, 2500×1686) without calling LINE."""
    from bot.line.richmenu_image import FontNotFoundError, render_menu_image

    try:
        image = render_menu_image()
    except FontNotFoundError as exc:
        fail(str(exc))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(image)
    typer.echo(f"リッチメニューの画像を書き出しました / wrote the rich menu image: {out} ({len(image):,} bytes)")


@richmenu_app.command("deploy")
def richmenu_deploy() -> None:
    """リッチメニューを LINE に設定します / Deploy the rich menu to LINE as every user's default.

    作成し、画像をアップロードし、全ユーザーのデフォルトにしてから、このコマンドで以前に作ったメニューを削除します
    （他のツールで作ったものは残します）。LINE_CHANNEL_ACCESS_TOKEN が必要です。

    Creates the menu (LINE_API_BASE), uploads its image (LINE_API_DATA_BASE), makes it the default, then deletes
    the menus this command made before (menus made by other tools stay). Needs LINE_CHANNEL_ACCESS_TOKEN."""
    import asyncio

    from bot.line.richmenu_deploy import RichMenuDeployError, deploy_to
    from bot.line.richmenu_image import CONTENT_TYPE, FontNotFoundError, render_menu_image

    settings = get_settings()
    token = settings.line_channel_access_token.get_secret_value().strip() if settings.line_channel_access_token else ""
    if not token:
        fail("LINE_CHANNEL_ACCESS_TOKEN が設定されていません（LINE Developers コンソールのチャネルアクセストークン）"
              " / LINE_CHANNEL_ACCESS_TOKEN is not set")
    try:
        image = render_menu_image()
        result = asyncio.run(
            deploy_to(settings.line_api_base, settings.line_api_data_base, token, image, CONTENT_TYPE)
        )
    except FontNotFoundError as exc:
        fail(str(exc))
    except RichMenuDeployError as exc:
        fail(f"LINE がリッチメニューの設定を受け付けませんでした / LINE refused the rich menu: {exc}")
    typer.echo(f"リッチメニューを設定しました / rich menu deployed: {result.rich_menu_id}"
               f"（以前のもの {len(result.removed)} 件を削除 / {len(result.removed)} earlier removed）")


def _settings_or_none() -> Settings | None:
    """The settings, or None when they are invalid (the command that needs them reports why)."""
    try:
        return get_settings()
    except ValidationError:
        return None


def main() -> None:
    """Console entry point: configure logging (warnings only; ``serve`` and ``worker`` raise it to INFO), turn
    project errors into one line and exit 1."""
    settings = _settings_or_none()
    configure_logging(settings, logging.WARNING, user_ref_secret=line_secret(settings))
    try:
        app()
    except (RetrievalError, PackValidationError) as exc:
        typer.echo(f"エラー: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
