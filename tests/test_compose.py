"""The container files stay true to the code: docker-compose.yml and the Dockerfile only run commands,
modules and options that exist, only use settings that .env.example documents, and .env.example documents
every setting the app reads. Docker itself is not needed: the files are parsed and checked against code."""

from __future__ import annotations

import importlib
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from celery.app.utils import find_app
from celery.bin.beat import beat as celery_beat
from celery.bin.celery import celery as celery_main
from celery.bin.control import inspect as celery_inspect
from celery.bin.worker import worker as celery_worker
from cryptography.fernet import Fernet
from django.core.management import get_commands
from django.urls import resolve
from gunicorn.config import KNOWN_SETTINGS

from reviewapp.lib.jsonlog import SECRET_NAME

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]
# Services that run our image (the others are stock postgres and redis).
APP_SERVICES = {name: service for name, service in SERVICES.items() if "build" in service}
DOCKERFILE = (ROOT / "Dockerfile").read_text()
# Environment variables the Dockerfile sets for Python and pip themselves, not settings of the app.
INTERPRETER_VARIABLES = {
    "PATH",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    "PIP_DISABLE_PIP_VERSION_CHECK",
}
INTERPRETER_VARIABLES |= {"PIP_NO_CACHE_DIR"}


def documented_settings() -> set[str]:
    names = set()
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line)
        if match:
            names.add(match.group(1))
    return names


def settings_read_by_the_app() -> set[str]:
    source = (ROOT / "reviewapp" / "settings.py").read_text()
    return set(re.findall(r"\benv(?:str|bool|int|list)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", source))


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(
        r"\\\n", " ", "\n".join(line for line in DOCKERFILE.splitlines() if not line.lstrip().startswith("#"))
    )
    return [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for parts in (line.strip().split(None, 1) for line in joined.splitlines() if line.strip())
    ]


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def invocations(command) -> list[list[str]]:
    """The programs a compose command or health check runs, each as its argument list."""
    if isinstance(command, dict):  # a healthcheck
        test = command["test"]
        return invocations(shlex.split(test[1]) if test[0] == "CMD-SHELL" else test[1:])
    tokens = shlex.split(command) if isinstance(command, str) else [str(part) for part in command]
    if tokens[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in tokens[2].split("&&")]
    return [tokens]


def options_of(click_command) -> set[str]:
    return {option for param in click_command.params for option in (*param.opts, *param.secondary_opts)}


def flags(tokens: list[str]) -> list[str]:
    return [token.split("=", 1)[0] for token in tokens if token.startswith("-")]


def problems_with(tokens: list[str]) -> list[str]:
    """Why this invocation would fail in our image (empty when it refers only to things that exist)."""
    program, args = tokens[0], tokens[1:]
    if program == "python" and args[:1] == ["manage.py"]:
        name = args[1]
        return [] if name in get_commands() else [f"manage.py has no command {name!r}"]
    if program == "python" and args and args[0].endswith(".py"):
        script = ROOT / args[0]
        if not script.is_file():
            return [f"{args[0]} does not exist"]
        if args[0] == "reviewapp/lib/probe.py":
            resolve(args[1])  # raises Resolver404 for a path the app does not serve
        return []
    if program == "celery":
        app_module = args[args.index("-A") + 1]
        find_app(app_module)  # what `celery -A` does; raises if the module has no Celery app
        subcommand_at = args.index("-A") + 2
        subcommand, rest = args[subcommand_at], args[subcommand_at + 1 :]
        known = {"worker": celery_worker, "beat": celery_beat, "inspect": celery_inspect}
        if subcommand not in known:
            return [f"celery {subcommand} is not a command we run"]
        unknown = set(flags(rest)) - options_of(known[subcommand]) - options_of(celery_main)
        return [f"celery {subcommand} has no option(s) {sorted(unknown)}"] if unknown else []
    if program == "gunicorn":
        module_name, _, attribute = args[0].partition(":")
        application = getattr(importlib.import_module(module_name), attribute or "application", None)
        found = [] if callable(application) else [f"{args[0]} is not a WSGI application"]
        known_flags = {flag for setting in KNOWN_SETTINGS for flag in setting.cli or ()}
        unknown = set(flags(args[1:])) - known_flags
        return found + ([f"gunicorn has no option(s) {sorted(unknown)}"] if unknown else [])
    return [f"{program} is not something our image runs"]


def every_app_invocation():
    for name, service in APP_SERVICES.items():
        for tokens in invocations(service["command"]):
            yield f"{name}: command", tokens
        if not service.get("healthcheck", {}).get("disable"):
            for tokens in invocations(service["healthcheck"]):
                yield f"{name}: healthcheck", tokens
    for instruction, arguments in final_stage():
        if instruction == "CMD":
            yield "Dockerfile: CMD", json.loads(arguments)
        if instruction == "HEALTHCHECK":
            yield "Dockerfile: HEALTHCHECK", json.loads(arguments.split(" CMD ", 1)[1])


@pytest.mark.parametrize(("where", "tokens"), list(every_app_invocation()), ids=lambda value: str(value))
def test_every_command_refers_to_things_that_exist(where, tokens):
    assert problems_with(tokens) == [], where


def test_the_stack_has_every_part():
    assert set(SERVICES) == {
        "postgres",
        "redis",
        "migrate",
        "web",
        "worker",
        "worker-evidence",
        "worker-reports",
        "beat",
    }
    assert SERVICES["postgres"]["image"].startswith("postgres:16")
    assert SERVICES["redis"]["image"].startswith("redis:7")
    assert invocations(APP_SERVICES["worker"]["command"])[0][3] == "worker"
    assert invocations(APP_SERVICES["beat"]["command"])[0][3] == "beat"
    migrate = [tokens[2] for tokens in invocations(APP_SERVICES["migrate"]["command"])]
    assert migrate == ["migrate", "load_lens"]


def test_every_celery_queue_has_a_worker_service_and_reports_do_not_wait_behind_evidence():
    from reviewapp.celery import EVIDENCE_QUEUE, QUEUES, REPORTS_QUEUE, app

    consumed: dict[str, set[str]] = {}
    for name, service in APP_SERVICES.items():
        tokens = invocations(service["command"])[0]
        if "worker" in tokens:
            consumed[name] = set(tokens[tokens.index("-Q") + 1].split(","))
    assert set().union(*consumed.values()) == set(QUEUES)
    router = app.amqp.Router()
    assert router.route({}, "reviewapp.tasks.render_report")["queue"].name == REPORTS_QUEUE
    assert router.route({}, "checks.tasks.run_task")["queue"].name == EVIDENCE_QUEUE
    # No worker takes both: a collection of many accounts cannot hold up someone's PDF.
    assert not any({EVIDENCE_QUEUE, REPORTS_QUEUE} <= queues for queues in consumed.values())


def test_web_runs_what_the_image_runs_by_default():
    cmd = next(json.loads(arguments) for instruction, arguments in final_stage() if instruction == "CMD")
    assert [str(part) for part in APP_SERVICES["web"]["command"]] == cmd
    assert "0.0.0.0:8000" in cmd
    assert APP_SERVICES["web"]["ports"] == ["127.0.0.1:8000:8000"]


def test_depends_on_names_services_that_exist_with_conditions_they_can_meet():
    for name, service in SERVICES.items():
        for target, rule in service.get("depends_on", {}).items():
            assert target in SERVICES, f"{name} depends on unknown service {target}"
            condition = rule["condition"]
            if condition == "service_healthy":
                assert "test" in SERVICES[target].get("healthcheck", {}), f"{target} has no health check"
            elif condition == "service_completed_successfully":
                assert SERVICES[target].get("restart") == "no", f"{target} is not a one-shot service"
            else:
                pytest.fail(f"{name} waits for {target} with unexpected condition {condition}")
    for name in ("web", "worker", "worker-evidence", "worker-reports"):
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_every_long_running_service_has_a_health_check():
    for name, service in SERVICES.items():
        if service.get("restart") == "no":
            continue
        check = service.get("healthcheck", {})
        assert not check.get("disable") and check.get("test"), f"{name} has no health check"
        assert {"interval", "timeout", "retries"} <= set(check), name


def test_named_volumes_are_declared_and_used():
    declared = set(COMPOSE.get("volumes") or {})
    used = set()
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else volume.split(":", 1)[0]
            if not source.startswith(("/", ".", "~")):
                assert source in declared, f"{name} mounts undeclared volume {source}"
                used.add(source)
    assert used == declared, f"declared but unused: {declared - used}"
    assert {"pgdata", "redisdata"} <= declared


def test_settings_come_from_the_env_file_and_no_secret_is_written_in_the_file():
    for name, service in APP_SERVICES.items():
        assert service.get("env_file") == ".env", name
    # The app's secrets stay out of the database and Redis containers.
    assert "env_file" not in SERVICES["postgres"] and "env_file" not in SERVICES["redis"]
    for name, service in SERVICES.items():
        environment = service.get("environment") or {}
        items = (
            environment.items() if isinstance(environment, dict) else (e.split("=", 1) for e in environment)
        )
        for key, value in items:
            if SECRET_NAME.search(key):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+(:[?-][^}]*)?\}", str(value)), (
                    f"{name}: {key} is written in"
                )


def test_every_variable_compose_and_the_dockerfile_use_is_documented():
    documented = documented_settings()
    text = (ROOT / "docker-compose.yml").read_text()
    # ${NAME} is compose's interpolation from .env; $${NAME} is left to the container and not a setting.
    used = set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text))
    for service in APP_SERVICES.values():
        environment = service.get("environment") or {}
        used |= (
            set(environment) if isinstance(environment, dict) else {e.split("=", 1)[0] for e in environment}
        )
    for instruction, arguments in dockerfile_instructions():
        if instruction == "ENV":
            used |= set(re.findall(r"(?:^|\s)([A-Z][A-Z0-9_]*)=", arguments)) - INTERPRETER_VARIABLES
        if instruction == "RUN":
            used |= set(re.findall(r"(?:^|\s)([A-Z][A-Z0-9_]*)=", arguments))
    assert used, "found no variables at all: the parsing is broken"
    assert {"POSTGRES_PASSWORD", "SECRET_KEY", "STATIC_MANIFEST"} <= used
    assert used - documented == set(), "document these in .env.example"


def test_env_example_documents_every_setting_the_app_reads():
    read = settings_read_by_the_app()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "LOG_FORMAT"} <= read
    missing = sorted(read - documented_settings())
    assert missing == [], f"document these in .env.example: {missing}"


def test_the_image_is_slim_non_root_and_has_weasyprint_libraries():
    instructions = dockerfile_instructions()
    froms = [arguments for name, arguments in instructions if name == "FROM"]
    assert len(froms) == 2 and froms[0].endswith("AS builder")
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.MULTILINE).group(1)
    assert base.startswith("python:3.11-slim")
    final = final_stage()
    installs = " ".join(
        arguments for name, arguments in final if name == "RUN" and "apt-get install" in arguments
    )
    for library in (
        "libpango-1.0-0",
        "libpangoft2-1.0-0",
        "libharfbuzz0b",
        "libfontconfig1",
        "fonts-dejavu-core",
    ):
        assert library in installs, library
    for build_tool in ("build-essential", "gcc", "-dev "):
        assert build_tool not in installs + " ", build_tool
    users = [arguments for name, arguments in final if name == "USER"]
    assert users and users[-1] not in ("root", "0")
    collectstatic = next(arguments for name, arguments in final if "collectstatic" in arguments)
    assert "STATIC_MANIFEST=1" in collectstatic
    assert any(name == "HEALTHCHECK" and "/healthz" in arguments for name, arguments in final)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".git" in ignored


def _locked(path: str) -> dict[str, str]:
    """{normalised name: version} of a requirements lock, checking that every pin carries a hash."""
    text = (ROOT / path).read_text()
    pins = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+) \\$", text, re.MULTILINE))
    assert pins and len(pins) == len(re.findall(r"^\S+==\S+ \\\n\s+--hash=sha256:", text, re.MULTILINE))
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in pins.items()}


def _declared(names: list[str]) -> set[str]:
    return {re.sub(r"[-_.]+", "-", re.split(r"[\[<>=!; ]", name, maxsplit=1)[0]).lower() for name in names}


def test_the_image_installs_the_hashed_production_lock_without_the_demo_emulator():
    import tomllib

    builder = dockerfile_instructions()[
        : max(i for i, (n, _) in enumerate(dockerfile_instructions()) if n == "FROM")
    ]
    runs = " ".join(arguments for name, arguments in builder if name == "RUN")
    assert "--require-hashes -r requirements/prod.txt" in runs
    assert "pip install --no-deps ." in runs
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    prod, dev = _locked("requirements/prod.txt"), _locked("requirements/dev.txt")
    assert _declared(project["dependencies"]) <= set(prod)
    extras = project["optional-dependencies"]
    assert _declared(extras["dev"] + extras["demo"]) - {"wa-security-reviews"} <= set(dev)
    # The demo's AWS emulator is for make run and the tests only.
    assert "moto" in dev and "moto" not in prod
    # Both locks pin the same version of what they share, so the tests run what production runs.
    assert {name: dev[name] for name in prod} == prod


def test_every_library_the_app_imports_is_in_the_production_lock():
    """A library that arrives only through a development tool (requests came with moto) breaks the image."""
    import ast
    from importlib.metadata import packages_distributions

    distributions = packages_distributions()
    prod = _locked("requirements/prod.txt")
    missing = set()
    for package in ("reviewapp", "questionnaire", "checks"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for top in {module.split(".")[0] for module in modules}:
                    # moto is the demo's emulator (the `demo` extra), imported only where the demo starts it.
                    if top in sys.stdlib_module_names or top in (
                        "reviewapp",
                        "questionnaire",
                        "checks",
                        "moto",
                    ):
                        continue
                    for distribution in distributions.get(top, [top]):
                        if re.sub(r"[-_.]+", "-", distribution).lower() not in prod:
                            missing.add(f"{top} ({distribution}) in {path.relative_to(ROOT)}")
    assert not missing, sorted(missing)


def test_check_deploy_passes_with_the_production_env_example():
    env = {"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "reviewapp.settings"}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            env[match.group(1)] = match.group(2)
    # The example's placeholders are deliberately not usable keys; real ones are long and random.
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env["FIELD_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
