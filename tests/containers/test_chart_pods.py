"""The chart's pods, run as Kubernetes would run them, and the fleet's loop through them.

The chart is rendered with ``chart-values.yaml`` and every Deployment, StatefulSet and Job of the
release is started on the real engine with exactly its rendered spec (see ``pods.py``): PostgreSQL
and MLflow from their (stand-in) images, the four services, the migrations Job, the training Job,
a model server; every container must pass its own readiness probe. Then the loop: a version is
trained through the trainer container's API, a model server is added for it, predictions sent to
it land in PostgreSQL through the collector container, and the drift CronJob's pod runs to the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.polling import wait_for

from .api import predict, train, upload_dataset, write_training_csv
from .conftest import Renderer
from .engine import Engine
from .fleet import WORKLOADS, Fleet, hook, json_lines
from .pods import PodFailedError, wait_ready

pytestmark = [pytest.mark.containers, pytest.mark.timeout(2400)]

VALUES = Path(__file__).with_name("chart-values.yaml")
MODEL = "smoke-gaming"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("data")
    write_training_csv(directory / "gaming.csv")
    return directory


@pytest.fixture(scope="module")
def fleet(
    engine: Engine,
    render: Renderer,
    images: dict[str, str],
    data_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Fleet]:
    manifests = render(VALUES)
    fleet = Fleet.create(engine, manifests, tmp_path_factory.mktemp("pod-files"))
    # The training Job reads an existing claim (trainer.trainingJob.dataClaimName): one with data.
    claim = fleet.runner.claim("training-data", 10001, images["trainer"])
    engine.run(
        "run", "--rm", *engine.label(), "--user", "0", "--entrypoint", "cp",
        "--mount", f"type=volume,src={claim},dst=/data",
        "--mount", f"type=bind,src={data_dir},dst=/src,readonly",
        images["trainer"], "/src/gaming.csv", "/data/gaming.csv",
    )  # fmt: skip
    try:
        fleet.install()
        fleet.post_install()
        fleet.serve(manifests)
        yield fleet
    finally:
        engine.cleanup()


def test_every_workload_of_the_release_ran(fleet: Fleet) -> None:
    expected = {
        m["metadata"]["name"]
        for m in fleet.manifests
        if m["kind"] in WORKLOADS and hook(m) in ("", "post-install,post-upgrade")
    }
    assert expected == set(fleet.running) | set(fleet.completed)
    assert any(name.endswith("-migrations-install") for name in fleet.completed)
    assert any(name.startswith("modelfleet-training-") for name in fleet.completed)


def _status(fleet: Fleet, container: str) -> dict[str, str]:
    out = fleet.engine.run("exec", container, "cat", "/proc/1/status").stdout
    return dict(line.split(":\t", 1) for line in out.splitlines() if ":\t" in line)


def test_containers_run_under_the_rendered_security_context(fleet: Fleet) -> None:
    for name, pod in fleet.running.items():
        status = _status(fleet, pod.container)
        assert status["Uid"].split() == ["10001"] * 4, (name, status["Uid"])
        assert status["Gid"].split() == ["10001"] * 4, (name, status["Gid"])
        assert "10001" in status["Groups"].split(), (name, "fsGroup as a supplementary group")
        assert int(status["CapEff"], 16) == 0, (name, "capabilities: drop ALL")
        assert status["NoNewPrivs"].strip() == "1", (name, "allowPrivilegeEscalation: false")
        assert status["Seccomp"].strip() == "2", (name, "seccompProfile: RuntimeDefault")
        write = fleet.engine.run("exec", pod.container, "sh", "-c", ": > /x", check=False)
        assert write.returncode != 0, (name, "readOnlyRootFilesystem")


def test_training_job_registered_the_first_version(fleet: Fleet) -> None:
    assert [(r["model_name"], r["version"]) for r in fleet.trained] == [(MODEL, "1")]


def test_helm_test_pod_passes(fleet: Fleet) -> None:
    (test_pod,) = [m for m in fleet.manifests if hook(m) == "test"]
    log = fleet.complete(fleet.pod(test_pod["metadata"]["name"]))
    assert "/v2/health/ready 200" in log


def test_a_probe_that_never_passes_names_its_pod(
    fleet: Fleet, render: Renderer, tmp_path: Path
) -> None:
    values = tmp_path / "missing-version.yaml"
    values.write_text(yaml.safe_dump({"modelServers": [{"model": MODEL, "version": "99"}]}))
    manifests = render(VALUES, values)
    (manifest,) = [
        m for m in manifests if m["kind"] == "Deployment" and m["metadata"]["name"].endswith("-v99")
    ]
    running = fleet.runner.start(fleet.pod_of_rendering(manifest, manifests))
    with pytest.raises(PodFailedError) as failed:
        wait_ready([running], budget=20)
    message = str(failed.value)
    assert "modelfleet-ms-smoke-gaming-v99" in message
    assert "readiness probe http /readyz never passed (last answer: 503" in message
    tail = message.split("--- log tail ---\n", 1)[1]
    assert tail.strip(), "the container's log tail is part of the failure"
    fleet.engine.run("rm", "-f", running.container)


def test_loop_through_the_containers(
    fleet: Fleet, render: Renderer, data_dir: Path, tmp_path: Path
) -> None:
    trainer, token = fleet.named("-trainer").url(), fleet.token()
    upload_dataset(trainer, token, data_dir / "gaming.csv", "smoke-gaming-data")
    version = train(trainer, token, "smoke-gaming-data", MODEL)
    assert version == "2"

    # A model server for it, as `make add-model-version` adds one: the same values plus an entry.
    served = {
        "modelServers": [{"model": MODEL, "version": "1"}, {"model": MODEL, "version": version}]
    }
    values = tmp_path / "served.yaml"
    values.write_text(yaml.safe_dump(served))
    (server,) = fleet.serve(render(VALUES, values))
    assert server.pod.name == f"modelfleet-ms-{MODEL}-v{version}"

    predict(server.url(), rows=600)

    # Shipped by the model server to the collector, stored by the collector in PostgreSQL.
    def stored() -> int:
        return int(
            fleet.psql(
                f"SELECT COUNT(*) FROM predictions WHERE model_name = '{MODEL}' "
                f"AND model_version = '{version}' AND source = 'online'"
            )
        )

    wait_for(lambda: stored() == 600, timeout=180, interval=1.0, what="600 predictions stored")

    # The drift CronJob's pod, run once (`kubectl create job --from=cronjob/...`).
    (cronjob,) = [
        m["metadata"]["name"]
        for m in fleet.manifests
        if m["metadata"]["name"].endswith("-drift-run")
    ]
    log = fleet.complete(fleet.pod(cronjob))
    runs = {r["model_version"]: r for r in json_lines(log)}
    assert runs[version]["status"] == "done", runs[version]
    assert runs[version]["current_rows"] == 600
    latest = fleet.psql(
        f"SELECT status FROM drift_reports WHERE model_version = '{version}' ORDER BY id DESC"
    )
    assert latest.splitlines()[0] == "done"
