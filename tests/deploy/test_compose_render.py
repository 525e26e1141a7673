"""The compose file renders, and every ``TOCSIN_*`` variable the docs tell people to set
reaches the containers that read it.

Rendering: with Docker Compose v2 on the machine (the ``docker compose`` plugin, or a v2
``docker-compose``), ``config`` renders the file with an env file as the README has you
write it, needing no engine; the rendered environment is then checked. Always, the file
is validated against the Compose Specification's JSON schema (tests/deploy/data/README.md
says where it comes from), after interpolating ``${VAR:-default}`` as Compose does.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
SCHEMA = Path(__file__).parent / "data" / "compose-spec.json"
DOCS = [DEPLOY / "README.md", DEPLOY / ".env.example", DEPLOY.parent / "README.md",
        *sorted((DEPLOY.parent / "docs").glob("*.md"))]
SECRETS = {"ELASTIC_PASSWORD": "e" * 24, "KIBANA_PASSWORD": "k" * 24, "KIBANA_ENCRYPTION_KEY": "x" * 48,
           "TOCSIN_SEARCH__PASSWORD": "t" * 24, "TOCSIN_COLLECTOR__PSEUDONYM_SECRET": "p" * 64}


def env_example() -> dict[str, str]:
    """deploy/.env.example as the README has you use it: copied to .env, the secrets filled in."""
    values: dict[str, str] = {}
    for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key] = value
    return values | SECRETS


ENV = env_example()
# Which Tocsin services read each settings section (the others may pass it; these must get it).
STAGES = ("tocsin-init", "collector", "processor", "alerter", "api")
READERS = {"KAFKA": STAGES, "SEARCH": STAGES, "COLLECTOR": ("collector", "api"),
           "PROCESSING": ("processor",), "ALERTS": ("alerter", "api"), "API": ("api",)}
# Set per service on purpose (ports and hosts the health checks use), not from .env.
FIXED = {"TOCSIN_PROCESSING__WEB_PORT", "TOCSIN_ALERTS__WEB_HOST", "TOCSIN_ALERTS__WEB_PORT",
         "TOCSIN_API__HOST", "TOCSIN_API__PORT"}
# Compose's own knobs (build, sizing, logging): not settings, read by compose itself.
COMPOSE_KNOBS = {"TOCSIN_IMAGE", "TOCSIN_EXTRA_PIP", "TOCSIN_LOG_LEVEL", "TOCSIN_CPUS", "TOCSIN_MEM_LIMIT"}


_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation: ``${VAR}``, ``${VAR:-default}``, ``${VAR:?error}``, ``$$``."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if kind == "?":
            raise AssertionError(f"{name} is required: {rest}")
        return rest if kind == "-" else ""

    return _VARIABLE.sub(one, value.replace("$$", "\x00")).replace("\x00", "$")


def rendered_by_hand(env: dict[str, str]) -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))  # merges the << anchors
    return interpolate({key: value for key, value in document.items() if not key.startswith("x-")}, env)


def compose_command() -> list[str] | None:
    """Docker Compose v2, as the plugin or as a v2 ``docker-compose``; None without one."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        done = subprocess.run([*command, "version", "--short"], capture_output=True, text=True, timeout=60)
        if done.returncode == 0 and done.stdout.strip().lstrip("v").startswith("2."):
            return command
    return None


def tocsin_services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: service for name, service in document["services"].items()
            if "tocsin" in str(service.get("image", ""))}


def environment(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # `config` renders a mapping; hand-written lists are KEY=VALUE
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return dict(env)


def documented_variables() -> set[str]:
    names: set[str] = set()
    for path in DOCS:
        if path.exists():
            names |= set(re.findall(r"\bTOCSIN_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")))
    return names - COMPOSE_KNOBS - {"TOCSIN_SECRETS_DIR"}  # files under /run/secrets: README "Secrets"


# --- the file renders ------------------------------------------------------------------------------


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    document = rendered_by_hand(ENV)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(document), key=lambda e: list(e.path))
    assert [f"{'/'.join(map(str, error.path))}: {error.message}" for error in errors] == []


def test_the_schema_check_catches_a_mistake() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    document = rendered_by_hand(ENV)
    document["services"]["kibana"]["mem_limt"] = "1g"
    document["services"]["api"]["depends_on"] = {"tocsin-init": {"condition": "when_ready"}}
    assert len(list(jsonschema.Draft7Validator(schema).iter_errors(document))) == 2


def test_docker_compose_renders_it_and_passes_a_documented_variable_to_every_stage(tmp_path: Path) -> None:
    command = compose_command()
    if command is None:
        pytest.skip("no Docker Compose v2 here (Debian bookworm packages only v1); the schema check ran")
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in ENV.items())
                        + "TOCSIN_SEARCH__ITEMS_INDEX=tocsin-items-replay\n", encoding="utf-8")
    arguments = ["-f", str(COMPOSE), "--env-file", str(env_file), "config", "--format", "json"]
    done = subprocess.run([*command, *arguments],
                          capture_output=True, text=True, timeout=120, cwd=DEPLOY)
    assert done.returncode == 0, done.stderr
    services = tocsin_services(json.loads(done.stdout))
    assert set(services) == set(STAGES)
    for name, service in services.items():
        assert environment(service).get("TOCSIN_SEARCH__ITEMS_INDEX") == "tocsin-items-replay", name


def test_without_the_secrets_compose_names_each_missing_one() -> None:
    for missing in SECRETS:
        with pytest.raises(AssertionError, match=f"{missing} is required"):
            rendered_by_hand({key: value for key, value in ENV.items() if key != missing})


# --- the variables the docs name reach the containers ----------------------------------------------


def test_every_documented_tocsin_variable_reaches_the_containers_that_read_it() -> None:
    services = tocsin_services(rendered_by_hand(ENV))
    documented = documented_variables()
    assert {"TOCSIN_SEARCH__ITEMS_INDEX", "TOCSIN_SEARCH__ALERTS_INDEX", "TOCSIN_SEARCH__VERIFY_CERTS",
            "TOCSIN_SEARCH__REQUEST_TIMEOUT"} <= documented  # the ones that did not arrive before
    from tests.deploy.test_deploy_files import setting_path_exists

    missing: dict[str, list[str]] = {}
    settings = sorted(name for name in documented - FIXED
                      if setting_path_exists(name) or name == "TOCSIN_CONFIG")
    for name in settings:
        section = name.removeprefix("TOCSIN_").split("__")[0]
        readers = READERS.get(section, STAGES)  # top-level settings (data_dir, table_store, …): all
        for service in readers:
            if name not in environment(services[service]):
                missing.setdefault(name, []).append(service)
    assert missing == {}


def test_credentials_the_config_files_name_reach_the_collector_and_the_alerter() -> None:
    """Variables that are not settings but that feeds.yaml (token_env, client_id_env) or
    notifiers.yaml name: deploy/credentials.env, given to the two services that read them."""
    from tests.deploy.test_deploy_files import setting_path_exists

    named = sorted(name for name in documented_variables() if name != "TOCSIN_CONFIG"
                   and not setting_path_exists(name))
    assert named, "the docs name no source or notifier credential"
    services = tocsin_services(rendered_by_hand(ENV))
    for service in ("collector", "alerter"):
        assert services[service]["env_file"] == [{"path": "./credentials.env", "required": False}], service
    for service in ("tocsin-init", "processor", "api"):
        assert "env_file" not in services[service], f"{service} must not see the sources' credentials"
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert "credentials.env" in readme and "credentials.env" in (DEPLOY / ".gitignore").read_text()


def test_every_setting_can_be_given_to_the_compose_stack() -> None:
    """Not only those the docs name today: the whole settings tree, so new docs cannot miss."""
    from pydantic import BaseModel

    from tocsin.settings import Settings

    def leaves(model: type[BaseModel], prefix: str) -> list[str]:
        names: list[str] = []
        for field_name, field in model.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                names += leaves(annotation, f"{prefix}{field_name.upper()}__")
            else:
                names.append(f"{prefix}{field_name.upper()}")
        return names

    services = tocsin_services(rendered_by_hand(ENV))
    given = {name for service in services.values() for name in environment(service)}
    assert sorted(set(leaves(Settings, "TOCSIN_")) - given) == []
