"""The Helm chart, rendered and checked for what a user and a cluster would notice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import (
    CHART,
    EVERYTHING_VALUES,
    Manifest,
    Renderer,
    by_kind,
    find_tool,
    load_manifests,
    pod_spec,
    run,
    workloads,
)

pytestmark = pytest.mark.k8s

SERVICE_COMPONENTS = {"trainer", "collector", "drift-monitor", "model-server"}
LONG_RUNNING = {"Deployment", "StatefulSet"}


def model_servers(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {
        m["metadata"]["name"]: m
        for m in by_kind(manifests, kind)
        if m["metadata"]["labels"].get("app.kubernetes.io/component") == "model-server"
    }


def env_of(container: Manifest) -> dict[str, Manifest]:
    return {e["name"]: e for e in container.get("env", [])}


def all_containers(spec: Manifest) -> list[Manifest]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def name_of(manifest: Manifest) -> str:
    return f"{manifest['kind']}/{manifest['metadata']['name']}"


@pytest.fixture(scope="module", params=["default", "everything"])
def manifests(
    request: pytest.FixtureRequest,
    default_manifests: list[Manifest],
    everything_manifests: list[Manifest],
) -> list[Manifest]:
    return default_manifests if request.param == "default" else everything_manifests


# --- lint and schema validation ------------------------------------------------------------------


@pytest.mark.parametrize("values", [None, EVERYTHING_VALUES], ids=["default", "everything"])
def test_helm_lint_strict_passes(helm: str, values: Path | None) -> None:
    cmd = [helm, "lint", "--strict", str(CHART)]
    if values:
        cmd += ["--values", str(values)]
    result = run(cmd)
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("values", [None, EVERYTHING_VALUES], ids=["default", "everything"])
def test_rendered_chart_is_valid_kubernetes_1_30_in_strict_mode(
    helm: str, values: Path | None, tmp_path: Path
) -> None:
    cmd = [helm, "template", "fleet", str(CHART), "--namespace", "modelfleet"]
    if values:
        cmd += ["--values", str(values)]
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(run(cmd).stdout)
    validate = find_tool("kubernetes-validate")
    result = run([validate, "-k", "1.30.0", "--strict", str(rendered)], check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed for resource deployment/" in result.stdout + result.stderr


def test_everything_values_turn_every_optional_part_on(
    everything_manifests: list[Manifest],
) -> None:
    kinds = {m["kind"] for m in everything_manifests}
    assert {
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ServiceMonitor",
        "NetworkPolicy",
        "CronJob",
        "Job",
        "StatefulSet",
        "Role",
        "RoleBinding",
    } <= kinds
    cronjobs = {
        m["metadata"]["labels"]["app.kubernetes.io/component"]
        for m in by_kind(everything_manifests, "CronJob")
    }
    assert cronjobs == {"evaluation", "drift-run", "batch-inference"}
    jobs = {
        m["metadata"]["labels"]["app.kubernetes.io/component"]
        for m in by_kind(everything_manifests, "Job")
    }
    assert jobs == {"migrations", "training"}


# --- one model server per entry -------------------------------------------------------------------


def test_each_model_servers_entry_becomes_its_own_deployment_and_service(render: Renderer) -> None:
    manifests = render(
        set_values=[
            "modelServers[0].model=online-gaming",
            "modelServers[0].version=1",
            "modelServers[1].model=online-gaming",
            "modelServers[1].version=2",
            "modelServers[1].replicas=3",
            "modelServers[2].model=online-gaming",
            "modelServers[2].alias=champion",
        ]
    )
    deployments = model_servers(manifests, "Deployment")
    services = model_servers(manifests, "Service")
    expected = {
        "fleet-modelfleet-ms-online-gaming-v1": ("MODELFLEET_MODEL_VERSION", "1", 1),
        "fleet-modelfleet-ms-online-gaming-v2": ("MODELFLEET_MODEL_VERSION", "2", 3),
        "fleet-modelfleet-ms-online-gaming-champion": ("MODELFLEET_MODEL_ALIAS", "champion", 1),
    }
    assert set(deployments) == set(expected)
    assert set(services) == set(expected)
    for name, (variable, reference, replicas) in expected.items():
        deployment = deployments[name]
        assert deployment["spec"]["replicas"] == replicas
        pod = deployment["spec"]["template"]
        container = pod["spec"]["containers"][0]
        env = env_of(container)
        assert env["MODELFLEET_MODEL_NAME"]["value"] == "online-gaming"
        assert env[variable]["value"] == reference
        other = {"MODELFLEET_MODEL_VERSION", "MODELFLEET_MODEL_ALIAS"} - {variable}
        assert not other & set(env), "exactly one of version and alias"
        assert "modelfleet/model-server:" in container["image"]
        labels = pod["metadata"]["labels"]
        assert labels["app.kubernetes.io/component"] == "model-server"
        assert labels["modelfleet.io/model-name"] == "online-gaming"
        key = (
            "modelfleet.io/model-version"
            if variable.endswith("VERSION")
            else "modelfleet.io/model-alias"
        )
        assert labels[key] == reference
        # The Service the collector discovers carries the same labels, a port named http (and
        # grpc, the Open Inference gRPC port), and selects this Deployment's pods and no other
        # model server's.
        service = services[name]
        assert service["metadata"]["labels"]["app.kubernetes.io/component"] == "model-server"
        assert service["metadata"]["labels"]["modelfleet.io/model-name"] == "online-gaming"
        assert service["metadata"]["labels"][key] == reference
        ports = {p["name"]: (p["port"], p["targetPort"]) for p in service["spec"]["ports"]}
        assert ports == {"http": (8080, "http"), "grpc": (8081, "grpc")}
        assert {"name": "grpc", "containerPort": 8081, "protocol": "TCP"} in container["ports"]
        assert env["MODELFLEET_GRPC_PORT"]["value"] == "8081"
        selector = service["spec"]["selector"].items()
        for other_name, other_deployment in deployments.items():
            other_labels = other_deployment["spec"]["template"]["metadata"]["labels"].items()
            assert (selector <= other_labels) == (other_name == name)


def test_model_servers_are_shaped_like_every_other_modelfleet_service(
    everything_manifests: list[Manifest],
) -> None:
    """One workload helper renders them all: same pod, container and Service shape."""
    deployments = [
        m
        for m in by_kind(everything_manifests, "Deployment")
        if m["metadata"]["labels"]["app.kubernetes.io/component"] in SERVICE_COMPONENTS
    ]
    components = {m["metadata"]["labels"]["app.kubernetes.io/component"] for m in deployments}
    assert components == SERVICE_COMPONENTS

    def shape(deployment: Manifest) -> dict[str, object]:
        pod = deployment["spec"]["template"]
        (container,) = pod["spec"]["containers"]
        return {
            "pod keys": sorted(set(pod["spec"]) - {"initContainers"}),
            "pod annotations": sorted(pod["metadata"]["annotations"]),
            "pod security": pod["spec"]["securityContext"],
            "container keys": sorted(container),
            "container security": container["securityContext"],
            "probes": [container[p] for p in ("startupProbe", "livenessProbe", "readinessProbe")],
            "http port": container["ports"][0],  # model servers add grpc after it
            "first env": container["env"][0]["name"],
            "volumes": [v["name"] for v in pod["spec"]["volumes"]][:2],
            "owner annotation": deployment["metadata"]["annotations"]["modelfleet.io/owner"],
        }

    trainer = next(d for d in deployments if d["metadata"]["name"].endswith("-trainer"))
    for deployment in deployments:
        assert shape(deployment) == shape(trainer), name_of(deployment)
    services = [
        m
        for m in by_kind(everything_manifests, "Service")
        if m["metadata"]["labels"]["app.kubernetes.io/component"] in SERVICE_COMPONENTS
    ]
    assert {str(s["spec"]["ports"][0]) for s in services} == {
        "{'name': 'http', 'port': 8080, 'targetPort': 'http', 'protocol': 'TCP'}"
    }


def test_adding_a_version_adds_one_deployment_and_leaves_the_others_untouched(
    render: Renderer,
) -> None:
    # In a cluster generated secrets are looked up and kept; helm template needs fixed ones.
    fixed = ["auth.apiToken=t", "postgresql.auth.password=p"]
    v1 = [*fixed, "modelServers[0].model=churn", "modelServers[0].version=1"]
    v2 = ["modelServers[1].model=churn", "modelServers[1].version=2"]
    before = model_servers(render(set_values=v1), "Deployment")
    after = model_servers(render(set_values=v1 + v2), "Deployment")
    assert set(after) - set(before) == {"fleet-modelfleet-ms-churn-v2"}
    # version 1's pods are not restarted by adding version 2
    assert after["fleet-modelfleet-ms-churn-v1"] == before["fleet-modelfleet-ms-churn-v1"]


def test_grpc_port_is_configurable_and_can_be_off(render: Renderer) -> None:
    entry = ["modelServers[0].model=churn", "modelServers[0].version=2"]
    off = render(set_values=[*entry, "modelServer.grpcPort=0"])
    (service,) = model_servers(off, "Service").values()
    assert [p["name"] for p in service["spec"]["ports"]] == ["http"]
    (deployment,) = model_servers(off, "Deployment").values()
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert [p["name"] for p in container["ports"]] == ["http"]
    assert env_of(container)["MODELFLEET_GRPC_PORT"]["value"] == "0"
    moved = render(set_values=[*entry, "modelServer.grpcPort=9001"])
    (service,) = model_servers(moved, "Service").values()
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]}["grpc"] == 9001
    policies = {name_of(p): p for p in by_kind(moved, "NetworkPolicy")}
    ingress = policies["NetworkPolicy/fleet-modelfleet-model-server-ingress"]["spec"]["ingress"]
    assert {"port": 9001, "protocol": "TCP"} in ingress[0]["ports"]


def test_service_monitor_scrapes_every_service_mlflow_included(
    everything_manifests: list[Manifest],
) -> None:
    (monitor,) = by_kind(everything_manifests, "ServiceMonitor")
    (expression,) = monitor["spec"]["selector"]["matchExpressions"]
    assert set(expression["values"]) == SERVICE_COMPONENTS | {"mlflow"}
    assert monitor["spec"]["endpoints"][0] == {
        "port": "http",
        "path": "/metrics",
        "interval": monitor["spec"]["endpoints"][0]["interval"],
    }
    mlflow = next(
        m
        for m in by_kind(everything_manifests, "Deployment")
        if m["metadata"]["labels"]["app.kubernetes.io/component"] == "mlflow"
    )
    (container,) = mlflow["spec"]["template"]["spec"]["containers"]
    assert "--expose-prometheus=/tmp/prometheus" in container["args"]
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    policies = {name_of(p): p for p in by_kind(everything_manifests, "NetworkPolicy")}
    mlflow_ingress = policies["NetworkPolicy/fleet-modelfleet-mlflow-ingress"]["spec"]["ingress"]
    assert any({"port": 5000, "protocol": "TCP"} in rule["ports"] for rule in mlflow_ingress[1:])


def test_removing_a_version_removes_its_deployment_and_service(render: Renderer) -> None:
    only_v2 = render(set_values=["modelServers[0].model=churn", "modelServers[0].version=2"])
    assert set(model_servers(only_v2, "Deployment")) == {"fleet-modelfleet-ms-churn-v2"}
    assert set(model_servers(only_v2, "Service")) == {"fleet-modelfleet-ms-churn-v2"}
    none = render(set_values=["modelServers=null"])
    assert not model_servers(none, "Deployment") and not model_servers(none, "Service")


@pytest.mark.parametrize(("cpu_limit", "threads"), [("2", "2"), ("4", "4"), ("1500m", "1")])
def test_trainer_fits_with_as_many_threads_as_its_cpu_limit(
    render: Renderer, cpu_limit: str, threads: str
) -> None:
    """More OpenMP threads than granted cores slowed HistGradientBoosting fits ~15x."""
    manifests = render(set_values=[f"trainer.resources.limits.cpu={cpu_limit}"])
    trainer = next(
        m for m in by_kind(manifests, "Deployment") if m["metadata"]["name"].endswith("-trainer")
    )
    container = trainer["spec"]["template"]["spec"]["containers"][0]
    assert env_of(container)["MODELFLEET_THREADS"]["value"] == threads


def test_autoscaling_and_pdb_are_per_model_server(everything_manifests: list[Manifest]) -> None:
    hpas = {
        m["spec"]["scaleTargetRef"]["name"]: m
        for m in by_kind(everything_manifests, "HorizontalPodAutoscaler")
    }
    assert set(hpas) == {"fleet-modelfleet-ms-online-gaming-v2"}
    assert hpas["fleet-modelfleet-ms-online-gaming-v2"]["spec"]["maxReplicas"] == 6
    deployments = model_servers(everything_manifests, "Deployment")
    assert "replicas" not in deployments["fleet-modelfleet-ms-online-gaming-v2"]["spec"], (
        "an autoscaled Deployment must leave replicas to the HPA"
    )
    pdbs = {m["metadata"]["name"] for m in by_kind(everything_manifests, "PodDisruptionBudget")}
    assert pdbs == {"fleet-modelfleet-ms-online-gaming-v1", "fleet-modelfleet-ms-online-gaming-v2"}


def test_duplicate_model_server_names_are_refused(helm: str) -> None:
    result = run(
        [
            helm, "template", "f", str(CHART),
            "--set", "modelServers[0].model=a", "--set", "modelServers[0].version=1",
            "--set", "modelServers[1].model=a", "--set", "modelServers[1].version=1",
        ],
        check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "used twice" in result.stderr


# --- every pod: limits, probes, restricted security ----------------------------------------------


def test_no_pod_without_requests_limits_and_probes(manifests: list[Manifest]) -> None:
    problems = []
    for manifest, spec in workloads(manifests):
        for container in all_containers(spec):
            resources = container.get("resources") or {}
            for kind in ("requests", "limits"):
                if not {"cpu", "memory"} <= set(resources.get(kind) or {}):
                    problems.append(f"{name_of(manifest)}/{container['name']}: no {kind}")
        if manifest["kind"] in LONG_RUNNING:
            for container in spec["containers"]:
                for probe in ("livenessProbe", "readinessProbe"):
                    if probe not in container:
                        problems.append(f"{name_of(manifest)}/{container['name']}: no {probe}")
    assert not problems, "\n".join(problems)


def test_modelfleet_services_probe_healthz_and_readyz(manifests: list[Manifest]) -> None:
    seen = set()
    for manifest in by_kind(manifests, "Deployment"):
        component = manifest["metadata"]["labels"]["app.kubernetes.io/component"]
        if component not in SERVICE_COMPONENTS:
            continue
        seen.add(component)
        container = manifest["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        http = {"name": "http", "containerPort": 8080, "protocol": "TCP"}
        # model servers also speak Open Inference gRPC on KServe's port
        grpc = {"name": "grpc", "containerPort": 8081, "protocol": "TCP"}
        expected = [http, grpc] if component == "model-server" else [http]
        assert container["ports"] == expected, name_of(manifest)
    assert {"trainer", "collector", "drift-monitor"} <= seen


def test_every_pod_runs_under_the_restricted_pod_security_profile(
    manifests: list[Manifest],
) -> None:
    problems = []
    for manifest, spec in workloads(manifests):
        who = name_of(manifest)
        pod = spec.get("securityContext") or {}
        if pod.get("runAsNonRoot") is not True:
            problems.append(f"{who}: pod runAsNonRoot")
        if (pod.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
            problems.append(f"{who}: pod seccomp RuntimeDefault")
        if pod.get("runAsUser", 1) == 0:
            problems.append(f"{who}: runs as root")
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(flag):
                problems.append(f"{who}: {flag}")
        if any("hostPath" in v for v in spec.get("volumes", [])):
            problems.append(f"{who}: hostPath volume")
        emptydirs = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
        for container in all_containers(spec):
            where = f"{who}/{container['name']}"
            sc = container.get("securityContext") or {}
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation")
            if sc.get("privileged"):
                problems.append(f"{where}: privileged")
            if (sc.get("capabilities") or {}).get("drop") != ["ALL"]:
                problems.append(f"{where}: capabilities not dropped")
            if (sc.get("capabilities") or {}).get("add"):
                problems.append(f"{where}: capabilities added")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: writable root filesystem")
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            if container["name"] != "wait-for-postgresql" and mounts.get("/tmp") not in emptydirs:
                problems.append(f"{where}: /tmp is not an emptyDir")
    assert not problems, "\n".join(problems)


def test_modelfleet_containers_get_a_writable_state_dir(manifests: list[Manifest]) -> None:
    for manifest, spec in workloads(manifests):
        component = manifest["metadata"]["labels"]["app.kubernetes.io/component"]
        if component not in SERVICE_COMPONENTS:
            continue
        mounts = {m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
        assert "/var/lib/modelfleet" in mounts, name_of(manifest)


# --- RBAC and service accounts -------------------------------------------------------------------


def test_collector_role_may_only_get_list_watch_services(manifests: list[Manifest]) -> None:
    roles = by_kind(manifests, "Role")
    assert len(roles) == 1
    assert roles[0]["rules"] == [
        {"apiGroups": [""], "resources": ["services"], "verbs": ["get", "list", "watch"]}
    ]
    assert not by_kind(manifests, "ClusterRole") and not by_kind(manifests, "ClusterRoleBinding")
    (binding,) = by_kind(manifests, "RoleBinding")
    assert binding["roleRef"]["name"] == roles[0]["metadata"]["name"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "fleet-modelfleet-collector", "namespace": "modelfleet"}
    ]


def test_only_the_collector_pods_mount_an_api_token(manifests: list[Manifest]) -> None:
    with_token = set()
    for manifest, spec in workloads(manifests):
        if spec.get("automountServiceAccountToken") is not False:
            with_token.add(manifest["metadata"]["labels"]["app.kubernetes.io/component"])
            assert spec["serviceAccountName"] == "fleet-modelfleet-collector"
    assert with_token <= {"collector", "evaluation"}
    assert "collector" in with_token


# --- configuration, secrets, wiring --------------------------------------------------------------


def test_config_change_rolls_the_pods(render: Renderer) -> None:
    def checksums(manifests: list[Manifest]) -> dict[str, str]:
        return {
            m["metadata"]["name"]: m["spec"]["template"]["metadata"]["annotations"][
                "checksum/config"
            ]
            for m in by_kind(manifests, "Deployment")
            if m["metadata"]["labels"]["app.kubernetes.io/component"] in SERVICE_COMPONENTS
        }

    token = ["auth.apiToken=fixed", "postgresql.auth.password=fixed"]
    info = checksums(render(set_values=token))
    debug = checksums(render(set_values=[*token, "config.logLevel=DEBUG"]))
    assert info and set(info) == set(debug)
    assert all(info[name] != debug[name] for name in info)


def test_services_get_settings_from_the_configmap_and_secrets(
    default_manifests: list[Manifest],
) -> None:
    (config,) = [
        m
        for m in by_kind(default_manifests, "ConfigMap")
        if m["metadata"]["name"].endswith("-config")
    ]
    data = config["data"]
    assert data["MLFLOW_TRACKING_URI"] == "http://fleet-modelfleet-mlflow.modelfleet.svc:5000"
    assert (
        data["MODELFLEET_COLLECTOR_URL"] == "http://fleet-modelfleet-collector.modelfleet.svc:8080"
    )
    assert data["MODELFLEET_TRAINER_URL"] == "http://fleet-modelfleet-trainer.modelfleet.svc:8080"
    assert data["MODELFLEET_HOST"] == "0.0.0.0" and data["MODELFLEET_PORT"] == "8080"
    for manifest in by_kind(default_manifests, "Deployment"):
        component = manifest["metadata"]["labels"]["app.kubernetes.io/component"]
        if component not in SERVICE_COMPONENTS:
            continue
        container = manifest["spec"]["template"]["spec"]["containers"][0]
        assert container["envFrom"] == [{"configMapRef": {"name": config["metadata"]["name"]}}]
        env = env_of(container)
        assert (
            env["MODELFLEET_API_TOKEN"]["valueFrom"]["secretKeyRef"]["name"]
            == "fleet-modelfleet-api-token"
        )
        url = env["MODELFLEET_DATABASE_URL"]["value"]
        assert url.startswith("postgresql+psycopg2://modelfleet:$(POSTGRES_PASSWORD)@")
        names = [e["name"] for e in container["env"]]
        assert names.index("POSTGRES_PASSWORD") < names.index("MODELFLEET_DATABASE_URL"), (
            "Kubernetes expands $(VAR) only from variables defined earlier"
        )


def test_external_database_comes_from_an_existing_secret(render: Renderer) -> None:
    manifests = render(
        set_values=["postgresql.enabled=false", "externalDatabase.existingSecret=pg-urls"]
    )
    assert not by_kind(manifests, "StatefulSet")
    for manifest, spec in workloads(manifests):
        for container in spec["containers"]:
            env = env_of(container)
            if "MODELFLEET_DATABASE_URL" in env:
                ref = env["MODELFLEET_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
                assert ref == {"name": "pg-urls", "key": "database-url"}, name_of(manifest)
    (mlflow,) = [
        m for m in by_kind(manifests, "Deployment") if m["metadata"]["name"].endswith("-mlflow")
    ]
    env = env_of(mlflow["spec"]["template"]["spec"]["containers"][0])
    assert (
        env["MLFLOW_BACKEND_STORE_URI"]["valueFrom"]["secretKeyRef"]["key"] == "mlflow-database-url"
    )
    (migrations,) = [m for m in by_kind(manifests, "Job") if "migrations" in m["metadata"]["name"]]
    # an external database exists before the install: migrate before anything starts
    assert migrations["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"


def test_existing_secrets_replace_generated_ones(everything_manifests: list[Manifest]) -> None:
    assert not by_kind(everything_manifests, "Secret")
    refs = set()
    for _, spec in workloads(everything_manifests):
        for container in all_containers(spec):
            for env in container.get("env", []):
                ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    refs.add(ref["name"])
    assert refs == {"modelfleet-api-token", "modelfleet-postgresql", "modelfleet-s3"}


def test_migrations_run_in_one_job_with_the_packaged_alembic(
    helm: str, default_manifests: list[Manifest]
) -> None:
    # First install with the chart's PostgreSQL: an ordinary Job, created with the database.
    (job,) = [m for m in by_kind(default_manifests, "Job") if "migrations" in m["metadata"]["name"]]
    assert job["metadata"]["name"] == "fleet-modelfleet-migrations-install"
    assert "helm.sh/hook" not in job["metadata"].get("annotations", {})
    spec = job["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["wait-for-postgresql"]
    container = spec["containers"][0]
    assert "from modelfleet.common.db.migrate import upgrade" in " ".join(container["args"])
    assert "MODELFLEET_DATABASE_URL" in env_of(container)
    # Every upgrade: a pre-upgrade hook, before any new pod starts.
    upgrade = load_manifests(
        run([helm, "template", "fleet", str(CHART), "-n", "modelfleet", "--is-upgrade"]).stdout
    )
    (hook,) = [m for m in by_kind(upgrade, "Job") if "migrations" in m["metadata"]["name"]]
    assert hook["metadata"]["name"] == "fleet-modelfleet-migrations"
    annotations = hook["metadata"]["annotations"]
    assert "pre-upgrade" in annotations["helm.sh/hook"]
    assert int(annotations["helm.sh/hook-weight"]) < 0


def test_every_database_pod_waits_for_the_schema(manifests: list[Manifest]) -> None:
    waiting = set()
    for manifest, spec in workloads(manifests):
        if "migrations" in manifest["metadata"]["name"]:
            continue
        if any("MODELFLEET_DATABASE_URL" in env_of(c) for c in spec["containers"]):
            init = spec.get("initContainers", [])
            assert [c["name"] for c in init] == ["wait-for-schema"], name_of(manifest)
            assert init[0]["image"] == spec["containers"][0]["image"]
            assert init[0]["command"] == ["python", "-m", "modelfleet.common.db.wait"]
            assert "args" not in init[0], "the timeout is the module's default (15 minutes)"
            assert "MODELFLEET_DATABASE_URL" in env_of(init[0])
            waiting.add(manifest["metadata"]["labels"]["app.kubernetes.io/component"])
    assert {"trainer", "collector", "drift-monitor", "evaluation", "drift-run"} <= waiting


def test_mlflow_uses_postgresql_and_serves_artifacts(manifests: list[Manifest]) -> None:
    (mlflow,) = [
        m for m in by_kind(manifests, "Deployment") if m["metadata"]["name"].endswith("-mlflow")
    ]
    container = mlflow["spec"]["template"]["spec"]["containers"][0]
    image, tag = container["image"].rsplit(":", 1)
    assert image == "ghcr.io/mlflow/mlflow" and tag.startswith("v3.")
    assert "--serve-artifacts" in container["args"]
    assert "--backend-store-uri=$(MLFLOW_BACKEND_STORE_URI)" in container["args"]
    uri = env_of(container)["MLFLOW_BACKEND_STORE_URI"]
    assert "valueFrom" in uri or uri["value"].startswith("postgresql://")
    assert any(a.startswith("--artifacts-destination=") for a in container["args"])


def test_image_values_are_wired_per_service(render: Renderer) -> None:
    manifests = render(
        set_values=[
            "trainer.image.repository=localhost:5000/trainer",
            "trainer.image.tag=abc123",
            "image.registry=registry.local/fleet",
            "image.tag=1.2.3",
            "modelServers[0].model=m",
            "modelServers[0].version=1",
        ]
    )
    images = {
        m["metadata"]["labels"]["app.kubernetes.io/component"]: m["spec"]["template"]["spec"][
            "containers"
        ][0]["image"]
        for m in by_kind(manifests, "Deployment")
    }
    assert images["trainer"] == "localhost:5000/trainer:abc123"
    assert images["collector"] == "registry.local/fleet/collector:1.2.3"
    assert images["model-server"] == "registry.local/fleet/model-server:1.2.3"


def test_helm_test_pod_calls_a_model_server_v2_ready(everything_manifests: list[Manifest]) -> None:
    (pod,) = [
        m
        for m in by_kind(everything_manifests, "Pod")
        if m["metadata"]["annotations"].get("helm.sh/hook") == "test"
    ]
    script = " ".join(pod["spec"]["containers"][0]["args"])
    assert (
        "http://fleet-modelfleet-ms-online-gaming-v1.modelfleet.svc:8080/v2/health/ready" in script
    )
    assert pod["metadata"]["labels"]["modelfleet.io/model-server-client"] == "true"


# --- network policies -----------------------------------------------------------------------------


def _client_labels(manifests: list[Manifest]) -> dict[str, set[str]]:
    """component -> the modelfleet.io/<x>-client labels of its pods."""
    out: dict[str, set[str]] = {}
    for manifest, _ in workloads(manifests):
        template = manifest if manifest["kind"] == "Pod" else None
        if manifest["kind"] == "CronJob":
            template = manifest["spec"]["jobTemplate"]["spec"]["template"]
        elif manifest["kind"] != "Pod":
            template = manifest["spec"]["template"]
        assert template is not None
        labels = template["metadata"]["labels"]
        component = labels["app.kubernetes.io/component"]
        out.setdefault(component, set()).update(
            k.removeprefix("modelfleet.io/").removesuffix("-client")
            for k, v in labels.items()
            if k.endswith("-client") and v == "true"
        )
    return out


def test_network_policies_deny_by_default_and_let_each_client_reach_its_server(
    everything_manifests: list[Manifest],
) -> None:
    policies = {m["metadata"]["name"]: m for m in by_kind(everything_manifests, "NetworkPolicy")}
    deny = policies["fleet-modelfleet-default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny
    clients = _client_labels(everything_manifests)
    # Every pod that reads the database may reach PostgreSQL, and only those.
    for manifest, spec in workloads(everything_manifests):
        component = manifest["metadata"]["labels"]["app.kubernetes.io/component"]
        uses_db = any(
            "MODELFLEET_DATABASE_URL" in env_of(c) or "MLFLOW_BACKEND_STORE_URI" in env_of(c)
            for c in spec["containers"]
        )
        assert uses_db == ("postgresql" in clients.get(component, set())), component
    assert clients["model-server"] >= {"mlflow", "collector"}
    assert "trainer" in clients["drift-monitor"]
    assert {"model-server", "kube-api"} <= clients["evaluation"]
    postgres = policies["fleet-modelfleet-postgresql-ingress"]["spec"]["ingress"]
    assert postgres == [
        {
            "from": [
                {
                    "podSelector": {
                        "matchLabels": {
                            "app.kubernetes.io/name": "modelfleet",
                            "app.kubernetes.io/instance": "fleet",
                            "modelfleet.io/postgresql-client": "true",
                        }
                    }
                }
            ],
            "ports": [{"port": 5432, "protocol": "TCP"}],
        }
    ]


def test_schema_file_is_valid_json() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["modelServers[0].model=m"], "missing property 'version'"),
        (["modelServers[0].model=m", "modelServers[0].version=one"], "/modelServers/0/version"),
        (["modelServers[0].model=m", "modelServers[0].versoin=1"], "'versoin' not allowed"),
        (["containerSecurityContext.allowPrivilegeEscalation=true"], "allowPrivilegeEscalation"),
        (["mlflow.artifacts.type=gcs"], "value must be one of 'pvc', 's3'"),
        (["trainer.resources=null"], "missing property 'resources'"),
        (["collector.evaluation.schedule=often"], "/collector/evaluation/schedule"),
        (["modelServer.replicas=-1"], "/modelServer/replicas"),
        (["postgresql.enabled=false"], "externalDatabase.existingSecret is required"),
    ],
)
def test_wrong_values_are_rejected_with_a_clear_message(
    helm: str, values: list[str], message: str
) -> None:
    cmd = [helm, "template", "f", str(CHART)]
    for value in values:
        cmd += ["--set", value]
    result = run(cmd, check=False)
    assert result.returncode != 0, f"{values} was accepted"
    assert message in result.stderr, result.stderr


def test_values_are_all_documented() -> None:
    """Every leaf of values.yaml has a `## @param` line (Bitnami readme-generator style)."""
    import yaml

    values = yaml.safe_load((CHART / "values.yaml").read_text())
    documented = {
        line.split()[2]
        for line in (CHART / "values.yaml").read_text().splitlines()
        if line.strip().startswith("## @param ")
    }

    def leaves(node: object, prefix: str = "") -> list[str]:
        if isinstance(node, dict) and node:
            out = []
            for key, value in node.items():
                path = f"{prefix}.{key}" if prefix else key
                out.extend([path] if path in documented else leaves(value, path))
            return out
        return [prefix]

    undocumented = [p for p in leaves(values) if p not in documented]
    assert not undocumented, undocumented


def test_notes_tell_how_to_reach_each_service(helm: str) -> None:
    result = run(
        [
            helm, "install", "fleet", str(CHART), "--dry-run=client", "--namespace", "ml",
            "--set", "modelServers[0].model=churn", "--set", "modelServers[0].version=4",
        ]
    )  # fmt: skip
    notes = result.stdout.split("NOTES:", 1)[1]
    for service in ("mlflow", "trainer", "collector", "drift-monitor", "ms-churn-v4"):
        assert f"port-forward svc/fleet-modelfleet-{service}" in notes
    assert "curl -X POST http://127.0.0.1:8100/v1/predict" in notes


def test_pod_spec_helper_covers_every_workload(everything_manifests: list[Manifest]) -> None:
    kinds = {m["kind"] for m in everything_manifests if pod_spec(m) is not None}
    assert kinds == {"Deployment", "StatefulSet", "CronJob", "Job", "Pod"}


def test_everything_optional_off_still_renders_valid_manifests(
    render: Renderer, tmp_path: Path
) -> None:
    manifests = render(
        set_values=[
            "postgresql.enabled=false",
            "externalDatabase.existingSecret=pg-urls",
            "auth.existingSecret=token",
            "networkPolicy.enabled=false",
            "rbac.create=false",
            "serviceAccount.create=false",
            "migrations.enabled=false",
            "collector.evaluation.enabled=false",
            "driftMonitor.cronjob.enabled=false",
            "trainer.persistence.enabled=false",
            "tests.enabled=false",
        ]
    )
    kinds = {m["kind"] for m in manifests}
    assert kinds == {"ConfigMap", "Deployment", "Service", "PersistentVolumeClaim"}
    components = {
        m["metadata"]["labels"]["app.kubernetes.io/component"]
        for m in by_kind(manifests, "Deployment")
    }
    assert components == {"mlflow", "trainer", "collector", "drift-monitor"}
    for _, spec in workloads(manifests):
        assert spec["serviceAccountName"] == "default"
    rendered = tmp_path / "minimal.yaml"
    rendered.write_text("".join(f"---\n{json.dumps(m)}\n" for m in manifests))
    result = run(
        [find_tool("kubernetes-validate"), "-k", "1.30.0", "--strict", str(rendered)], check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_drift_reports_written_by_the_cronjob_are_served_by_the_api(render: Renderer) -> None:
    def volumes(manifests: list[Manifest], component: str) -> tuple[Manifest, Manifest]:
        (manifest,) = [
            m
            for m in manifests
            if m["kind"] in {"Deployment", "CronJob"}
            and m["metadata"]["labels"]["app.kubernetes.io/component"] == component
        ]
        spec = pod_spec(manifest)
        assert spec is not None
        state = next(v for v in spec["volumes"] if v["name"] == "state")
        return state, spec

    manifests = render()
    api_state, _ = volumes(manifests, "drift-monitor")
    job_state, job_spec = volumes(manifests, "drift-run")
    claim = api_state["persistentVolumeClaim"]["claimName"]
    assert job_state == api_state and claim in {
        m["metadata"]["name"] for m in by_kind(manifests, "PersistentVolumeClaim")
    }
    # ReadWriteOnce: the CronJob pods must land on the monitor's node
    (term,) = job_spec["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == "drift-monitor"
    rwx = render(set_values=["driftMonitor.persistence.accessModes={ReadWriteMany}"])
    _, rwx_spec = volumes(rwx, "drift-run")
    assert "affinity" not in rwx_spec


def test_golden_files_are_mounted_where_the_collector_reads_them(
    everything_manifests: list[Manifest],
) -> None:
    for manifest, spec in workloads(everything_manifests):
        component = manifest["metadata"]["labels"]["app.kubernetes.io/component"]
        if component not in {"collector", "evaluation"}:
            continue
        container = spec["containers"][0]
        golden = env_of(container)["MODELFLEET_GOLDEN"]["value"]
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        assert golden.startswith("/golden/") and mounts["/golden"]["readOnly"] is True
        volume = next(v for v in spec["volumes"] if v["name"] == mounts["/golden"]["name"])
        assert volume["configMap"]["name"] == "online-gaming-golden"
