"""``tsunagu eval`` and ``tsunagu bench``: retrieval quality on the eval sets and benchmarks of this machine.

Their results print as JSON (or ``key=value``) and can be written to ``eval/reports/``; nothing here changes the
product's data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tsunagu.cli_common import echo_json, fail
from tsunagu.settings import Settings, get_settings

if TYPE_CHECKING:
    from eval.bench_publish import OpenApp
    from eval.settings import EvalSettings
    from tsunagu.container import Services

eval_app = typer.Typer(help="Measure retrieval quality on the eval set or a BEIR benchmark.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks of this machine: retrieval alone, the LINE webhook under load, hand-off "
                             "claims, publishing.")


# eval/ does not import this package (the composition root): the commands pass it the settings sections it
# reads, the schema migration and, for `bench publish`, the app's own pieces.
def _eval_settings() -> EvalSettings:
    """The app's settings as eval reads them (the same values)."""
    from eval.settings import EvalSettings

    return EvalSettings.of(get_settings())


def publishing_app(settings: Settings, services_factory: Callable[[Settings], Services] | None = None) -> OpenApp:
    """``bench publish``'s side of the app in this process over a database URL: the services of ``settings``
    on that database (``services_factory``, default ``build_services``: the pack loaded as version 1, the index
    built) and their live index."""
    from eval.bench_publish import PublishingApp
    from tsunagu.container import build_services
    from tsunagu.live_index import LiveIndex

    factory = services_factory or build_services

    def open_app(database_url: str) -> PublishingApp:
        services = factory(settings.model_copy(update={"database_url": database_url}))
        return PublishingApp(services.engine, LiveIndex(services))

    return open_app


@eval_app.command("run")
def eval_run(
    split: Annotated[str, typer.Option(help="dev or test (never tune on test).")] = "test",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    report: Annotated[Path | None, typer.Option(help="Also write a Markdown report (+ PNG curve) here.")] = None,
    question_set: Annotated[str, typer.Option(
        "--set", help="pack: questions written from the entries; blind: written without seeing them, with near "
                      "misses (questions no entry answers).")] = "pack",
) -> None:
    """Accuracy, recall, MRR, out-of-scope hand-off, answer precision/coverage (and the near-miss answer rate
    on the blind set), with ablations."""
    from eval.datasets import DATASETS
    from eval.runner import run_pack_eval
    from tsunagu.db import migrate

    if question_set not in DATASETS:
        fail(f"--set must be one of {', '.join(DATASETS)}")
    results = run_pack_eval(_eval_settings(), migrate=migrate, split=split, questions_path=DATASETS[question_set],
                            report_path=report)
    if as_json:
        echo_json(results)
        return
    for mode, metrics in results["modes"].items():
        typer.echo(f"[{mode}] " + "  ".join(f"{k}={v}" for k, v in metrics.items()))


@eval_app.command("scope")
def eval_scope(
    split: Annotated[str, typer.Option(help="dev, test or all (tune on dev only; test is run once to report).")]
    = "dev",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    misses: Annotated[bool, typer.Option(help="List refused city matters and offered unrelated messages (dev only).")]
    = False,
    report: Annotated[Path | None, typer.Option(help="Also write the JSON results to this file.")] = None,
) -> None:
    """Share of city matters the pack cannot answer that are offered city staff, and what unrelated messages get
    (the whole reply policy of the conversation; eval/scope_eval.py)."""
    from eval.scope_eval import run_scope_eval
    from tsunagu.db import migrate

    if split not in ("dev", "test", "all"):
        fail("--split must be dev, test or all")
    if misses and split != "dev":
        fail("--misses lists texts of the dev split only")
    results = run_scope_eval(_eval_settings(), migrate=migrate, split=split, misses=misses)  # type: ignore[arg-type]
    if report is not None:
        report.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if as_json:
        echo_json(results)
        return
    for group in ("city_matters", "unrelated"):
        summary = results[group]
        typer.echo(f"[{group}] " + "  ".join(f"{k}={v}" for k, v in summary.items() if k != "kinds")
                   + f"  kinds={summary['kinds']}")
    for miss in results.get("misses", []):
        typer.echo(f"miss {miss['set']} {miss['id']} city={miss['city']} {miss['kind']}: {miss['text']}")


@eval_app.command("calibrate")
def eval_calibrate(
    target_precision: Annotated[
        float | None, typer.Option(help="Wanted answer precision on the dev split (default from settings).")
    ] = None,
    question_sets: Annotated[
        list[str] | None, typer.Option(
            "--set", help="Question sets whose dev splits are pooled (repeat the option; default: pack and blind)."
        )
    ] = None,
    tune_fusion: Annotated[
        bool, typer.Option("--tune-fusion/--keep-fusion", help="Also search the fusion weights (best dev MRR).")
    ] = True,
) -> None:
    """Propose fusion weights and decision thresholds for a target answer precision, from dev splits only."""
    from eval.calibration import calibrate
    from eval.datasets import DATASETS
    from tsunagu.db import migrate

    names = question_sets or ["pack", "blind"]
    unknown = [name for name in names if name not in DATASETS]
    if unknown:
        fail(f"--set must be one of {', '.join(DATASETS)} (got {', '.join(unknown)})")
    settings = _eval_settings()
    target = target_precision or settings.calibration_target_precision
    proposal = calibrate(settings, migrate=migrate, target_precision=target,
                         question_sets=[DATASETS[n] for n in names], tune_fusion=tune_fusion)
    echo_json(proposal)


@eval_app.command("beir")
def eval_beir(
    directory: Annotated[Path, typer.Argument(help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (stdout only; progress goes to stderr).")] = False,
    limit: Annotated[int | None, typer.Option(help="Use only the first N queries.")] = None,
    progress: Annotated[bool, typer.Option(
        help="Progress bars on stderr while the corpus is embedded and the queries run. In a terminal they move; "
             "when stderr is not a terminal (CI, a log file) only each stage's final line is printed, at the end "
             "(TTY_COMPATIBLE=1 forces moving bars).")] = True,
) -> None:
    """nDCG@10, recall@10, MRR@10, hit@1 and query latency on an external benchmark (as a temporary pack).

    Every text is embedded afresh (1,786 entries, 749 queries: ~1,000 CPU-s, eval/reports/beir-timing-1786.json)."""
    from eval.beir import BeirFormatError, run_beir
    from tsunagu.progress import stage_bars

    try:
        with stage_bars(progress) as report:
            results = run_beir(get_settings(), directory, limit=limit, progress=report)
    except BeirFormatError as exc:
        fail(str(exc))
    if as_json:
        echo_json(results)
    else:
        typer.echo("  ".join(f"{k}={v}" for k, v in results.items()))


@eval_app.command("export-beir")
def eval_export_beir(
    directory: Annotated[Path, typer.Argument(help="Folder to write corpus.jsonl, queries.jsonl, qrels/test.tsv.")],
    split: Annotated[str, typer.Option(help="dev or test.")] = "test",
    question_set: Annotated[str, typer.Option(
        "--set", help="pack: questions written from the entries; blind: written without seeing them (only the "
                      "questions an entry answers are written: near misses have no relevant document).")] = "pack",
) -> None:
    """Write the configured pack and its eval questions in BEIR layout (without alternative questions)."""
    from eval.beir import export_beir
    from eval.datasets import DATASETS, SPLITS, load_questions
    from knowledge.packs import read_pack

    if question_set not in DATASETS:
        fail(f"--set must be one of {', '.join(DATASETS)}")
    if split not in SPLITS:
        fail(f"--split must be one of {', '.join(SPLITS)}")
    questions = load_questions(DATASETS[question_set], split=split)
    counts = export_beir(read_pack(get_settings().pack_dir).entries, questions, directory)
    typer.echo(f"{counts['corpus']} 件の文書と {counts['queries']} 件の質問を書き出しました ({directory})")


@eval_app.command("emergency")
def eval_emergency(
    split: Annotated[str, typer.Option(help="dev, test or all of the chosen set.")] = "all",
    set_name: Annotated[str, typer.Option("--set", help="first, holdout, train (development data) or holdout2 "
                                                        "(measured once, never read).")] = "first",
    root: Annotated[Path | None, typer.Option(help="A set's folder (instead of --set).")] = None,
    cv: Annotated[bool, typer.Option(help="Cross-validate on the first set (the model retrained per fold).")]
    = False,
    lowo: Annotated[bool, typer.Option(help="Leave one writer out: each development set with a model trained on "
                                            "the other two.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    baseline: Annotated[str | None, typer.Option(
        help="Also measure bot/emergency.py as it was at this git revision (loaded into a temporary module).")]
    = None,
    errors: Annotated[bool, typer.Option(help="List missed emergencies and false alarms (development sets "
                                              "only).")] = False,
    report: Annotated[Path | None, typer.Option(help="Also write the JSON results to this file.")] = None,
) -> None:
    """Emergency detection on a blind emergency set: recall per kind and overall, false alarms on ordinary
    look-alikes (sure, unsure, together), per style (eval/emergency_eval.py)."""
    from eval.emergency_eval import SETS, cross_validate, is_development, leave_one_writer_out, run_emergency_eval

    if split not in ("dev", "test", "all"):
        fail("--split must be dev, test or all")
    if set_name not in SETS:
        fail(f"--set must be one of {', '.join(SETS)}")
    folder = root if root is not None else SETS[set_name]
    if not (folder / "README.md").exists():
        fail(f"{folder} is not a finished set (no README.md)")
    if errors and not is_development(folder):
        fail("--errors lists texts of the development sets only")
    if lowo:
        results = leave_one_writer_out(list_errors=errors)
        _print_lowo(results, as_json)
    elif cv:
        results = cross_validate(list_errors=errors)
    else:
        results = run_emergency_eval(split, root=folder, baseline=baseline,  # type: ignore[arg-type]
                                     list_errors=errors)
    if report is not None:
        report.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if lowo:
        return
    if as_json:
        echo_json(results)
        return
    for name in ("detector", "rules", "model", "baseline"):
        if name in results:
            typer.echo(f"[{name}] " + "  ".join(f"{k}={v}" for k, v in results[name]["overall"].items()))
            for kind, summary in results[name]["per_kind"].items():
                typer.echo(f"  {kind}: " + "  ".join(f"{k}={v}" for k, v in summary.items()))
    for error in results["detector"].get("errors", []):
        typer.echo(f"error {error['id']} {error['kind']} flagged={error['flagged']} sure={error['sure']}: "
                   f"{error['text']}")


def _print_lowo(results: dict[str, Any], as_json: bool) -> None:
    """The leave-one-writer-out numbers: per held-out set and pooled (and the texts of errors, when listed)."""
    if as_json:
        echo_json(results)
        return
    for held, found in results.items():
        if isinstance(found, dict) and "detector" in found:
            for name in ("detector", "rules", "model"):
                typer.echo(f"[{held} {name}] " + "  ".join(f"{k}={v}" for k, v in found[name]["overall"].items()))
            for error in found["detector"].get("errors", []):
                typer.echo(f"  error {error['id']} {error['kind']} flagged={error['flagged']} sure={error['sure']}: "
                           f"{error['text']}")
    typer.echo("[pooled detector] " + "  ".join(f"{k}={v}" for k, v in results["pooled"]["overall"].items()))


@eval_app.command("routing")
def eval_routing(
    split: Annotated[str, typer.Option(help="dev, test or all (tune on dev only; test is run once to report).")]
    = "dev",
    set_name: Annotated[str, typer.Option("--set", help="blind (round 1, now development data) or holdout "
                                                        "(round 2: run once, aggregates only).")] = "blind",
    root: Annotated[Path | None, typer.Option(help="A folder of the same format instead of --set.")] = None,
    cv: Annotated[int, typer.Option(help="Cross-validate the topic classifier on the development data with this "
                                         "many folds instead (0: off).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    misses: Annotated[bool, typer.Option(help="List the unrouted and wrong questions' ids (no texts).")] = False,
    report: Annotated[Path | None, typer.Option(help="Also write the JSON results to this file.")] = None,
) -> None:
    """Routing on a blind hand-off set: right team, 振り分け待ち, wrong team, per team and style, with the real
    retriever, the routing table in the configured database and the topic classifier (eval/routing_eval.py)."""
    from eval.routing_eval import SETS, cross_validate, run_routing_eval
    from tsunagu.db import migrate

    if split not in ("dev", "test", "all"):
        fail("--split must be dev, test or all")
    if set_name not in SETS:
        fail("--set must be " + " or ".join(SETS))
    if cv:
        results = cross_validate(_eval_settings(), folds=cv, migrate=migrate)
    else:
        results = run_routing_eval(_eval_settings(), migrate=migrate, split=split,  # type: ignore[arg-type]
                                   details=misses, root=root or SETS[set_name])
    if report is not None:
        report.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if as_json or cv:
        echo_json(results)
        return
    typer.echo("  ".join(f"{k}={results[k]}" for k in ("set", "split", "questions", "right", "unrouted", "wrong")))
    for group in ("by_team", "by_style"):
        for name, rates in results[group].items():
            typer.echo(f"  {name}: " + "  ".join(f"{k}={rates[k]}" for k in ("questions", "right", "unrouted",
                                                                             "wrong")))
    for miss in results.get("misses", []):
        typer.echo(f"{miss['id']} {miss['team']} → {miss['routed']} ({miss['why']} {miss['share']})")


def _print_results(results: dict[str, Any], *, as_json: bool, output: Path | None = None) -> None:
    """A benchmark's results as JSON or one ``key=value`` line, and written to ``output`` when given."""
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if as_json:
        echo_json(results)
    else:
        typer.echo("  ".join(f"{k}={v}" for k, v in results.items()))




@bench_app.callback(invoke_without_command=True)
def bench(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """Without a subcommand: decision latency, embedding latency, build and rebuild time, and a synthetic
    10,000-entry corpus."""
    if ctx.invoked_subcommand is not None:
        return
    from eval.bench import run_bench

    _print_results(run_bench(_eval_settings()), as_json=as_json)


@bench_app.command("webhook")
def bench_webhook(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    rate: Annotated[float, typer.Option(min=0.1, help="Signed events sent per second (open loop).")] = 200.0,
    duration: Annotated[float, typer.Option(min=0.1, help="Seconds of sending.")] = 60.0,
    workers: Annotated[
        int, typer.Option(min=0, help="Separate `tsunagu worker` processes (0: the worker runs in the web app).")
    ] = 0,
    worker_nice: Annotated[
        int, typer.Option(min=0, max=19, help="Nice value of those worker processes (the web process keeps 0).")
    ] = 10,
    database_url: Annotated[
        str | None, typer.Option(help="Database to use (default: a temporary SQLite file); use an empty one.")
    ] = None,
    cache_db: Annotated[
        Path, typer.Option(help="SQLite file whose embedding cache is reused and kept up to date.")
    ] = Path("data/eval.db"),
    output: Annotated[Path | None, typer.Option(help="Also write the JSON result to this file.")] = None,
) -> None:
    """Signed LINE events at a fixed rate to the app, its worker and a fake Messaging API: ack latency, answers/s.

    Also counts lost and duplicated answers. Runs on loopback with a temporary database.
    """
    from eval.bench_webhook import BenchOptions, run_webhook_bench
    from eval.webhook_load import LoadOptions
    from tsunagu.db import migrate

    settings = get_settings()
    options = BenchOptions(LoadOptions(rate=rate, duration=duration), workers=workers, worker_nice=worker_nice,
                           database_url=database_url, cache_db=cache_db)
    results = run_webhook_bench(options, migrate=migrate,
                                labels={"embedder": settings.embedder, "pack": settings.pack_dir.name})
    _print_results(results, as_json=as_json, output=output)


@bench_app.command("publish")
def bench_publish(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    rate: Annotated[float, typer.Option(min=1.0, help="Questions per second asked of POST /api/ask meanwhile.")] = 50.0,
    database_url: Annotated[
        str | None, typer.Option(help="Database (default: a temporary SQLite file; PostgreSQL: a temporary schema).")
    ] = None,
    cache_db: Annotated[Path | None, typer.Option(
        help="SQLite file whose cached embeddings are copied in first (default: the eval's data/eval.db).")] = None,
    output: Annotated[Path | None, typer.Option(help="Also write the JSON result to this file.")] = None,
) -> None:
    """Publish one edited entry, then every entry, from this process while the app (web + one worker process)
    answers questions: publish_one_s, publish_all_s, gate_s, how soon the other processes serve each version,
    and failed_queries_during_swap (must be 0)."""
    from eval.bench_publish import run_publish_bench
    from eval.bench_webhook import DEFAULT_CACHE_DB
    from tsunagu.db import migrate
    from tsunagu.settings import quality_gate_folder

    settings = get_settings()
    results = run_publish_bench(publishing_app(settings), migrate=migrate, gate_folder=quality_gate_folder(settings),
                                rate=rate, database_url=database_url, cache_db=cache_db or DEFAULT_CACHE_DB)
    _print_results(results, as_json=as_json, output=output)


@bench_app.command("handoff")
def bench_handoff(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    tickets: Annotated[int, typer.Option(min=1, help="Tickets opened before the staff start.")] = 500,
    staff: Annotated[int, typer.Option(min=1, help="Concurrent simulated staff (threads).")] = 10,
    database_url: Annotated[
        str | None, typer.Option(help="Database (default: a temporary SQLite file; PostgreSQL: a temporary schema).")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Also write the JSON result to this file.")] = None,
) -> None:
    """Tickets claimed and resolved by concurrent staff: double_claims and lost (both must be 0), claim latency."""
    from eval.bench_handoff import run_handoff_bench
    from tsunagu.db import migrate

    results = run_handoff_bench(migrate=migrate, tickets=tickets, staff=staff, database_url=database_url)
    _print_results(results, as_json=as_json, output=output)
