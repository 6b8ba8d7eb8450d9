"""A thin wrapper of the ``docker`` CLI for the container tests.

Every container, network and volume a test creates goes through :class:`Engine`, is named with
the run's prefix and labelled with it, and is removed by :meth:`Engine.cleanup` -- by that label,
so even what a crashed test left behind under the same prefix goes.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from typing import Any

RUN_LABEL = "org.modelfleet.test-run"


class EngineError(AssertionError):
    """A docker command failed; the message carries its output."""


@dataclass
class Engine:
    """The docker CLI, scoped to one test run (``prefix`` names and labels what it creates)."""

    prefix: str
    binary: str = "docker"

    def run(
        self, *args: str, check: bool = True, timeout: float | None = 120, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.binary, *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            input=input,
        )
        if check and result.returncode != 0:
            raise EngineError(
                f"docker {' '.join(args)[:400]} exited {result.returncode}\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def answers(self) -> bool:
        try:
            return self.run("info", "--format", "{{.ServerVersion}}", check=False).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    # ---- names ---------------------------------------------------------------------------
    def name(self, suffix: str) -> str:
        """A resource name of this run (docker names: [a-zA-Z0-9][a-zA-Z0-9_.-]*)."""
        return f"{self.prefix}{suffix}"

    def label(self) -> list[str]:
        return ["--label", f"{RUN_LABEL}={self.prefix}"]

    # ---- images --------------------------------------------------------------------------
    def image_exists(self, image: str) -> bool:
        return self.run("image", "inspect", image, check=False).returncode == 0

    def image_inspect(self, image: str) -> dict[str, Any]:
        return json.loads(self.run("image", "inspect", image).stdout)[0]

    # ---- networks and volumes ------------------------------------------------------------
    def network(self, suffix: str) -> str:
        name = self.name(suffix)
        self.run("network", "create", *self.label(), name)
        return name

    def volume(self, suffix: str, *options: str) -> str:
        name = self.name(suffix)
        self.run("volume", "create", *self.label(), *options, name)
        return name

    def tmpfs_volume(self, suffix: str, size: str) -> str:
        """A named tmpfs volume: like a pod's emptyDir, shared by the pod's containers."""
        return self.volume(
            suffix, "--driver", "local", "--opt", "type=tmpfs", "--opt", "device=tmpfs",
            "--opt", f"o=size={size},mode=0777",
        )  # fmt: skip

    # ---- containers ----------------------------------------------------------------------
    def state(self, container: str) -> dict[str, Any]:
        out = self.run("inspect", "--format", "{{json .State}}", container).stdout
        return json.loads(out)

    def restart_count(self, container: str) -> int:
        return int(self.run("inspect", "--format", "{{.RestartCount}}", container).stdout)

    def logs(self, container: str, tail: int = 60) -> str:
        result = self.run("logs", "--tail", str(tail), container, check=False)
        return (result.stdout + result.stderr).strip()

    def host_port(self, container: str, port: int) -> int:
        out = self.run("port", container, f"{port}/tcp").stdout.split()[0]
        return int(out.rsplit(":", 1)[1])

    def wait(self, container: str, timeout: float) -> int:
        """Block until ``container`` exits (docker wait); its exit code."""
        try:
            out = self.run("wait", container, timeout=timeout).stdout
        except subprocess.TimeoutExpired as exc:
            raise EngineError(
                f"{container} still running after {timeout:g}s; log tail:\n{self.logs(container)}"
            ) from exc
        return int(out.strip())

    def cleanup(self) -> None:
        """Remove every container, then volume, network and image, labelled with this run's
        prefix."""
        label = f"label={RUN_LABEL}={self.prefix}"
        ids = self.run("ps", "-aq", "--filter", label, check=False).stdout.split()
        if ids:
            self.run("rm", "-f", "-v", *ids, check=False, timeout=300)
        volumes = self.run("volume", "ls", "-q", "--filter", label, check=False).stdout.split()
        if volumes:
            self.run("volume", "rm", "-f", *volumes, check=False)
        networks = self.run("network", "ls", "-q", "--filter", label, check=False).stdout.split()
        if networks:
            self.run("network", "rm", *networks, check=False)
        images = self.run("image", "ls", "-q", "--filter", label, check=False).stdout.split()
        if images:
            self.run("image", "rm", "-f", *set(images), check=False)

    def leftovers(self) -> list[str]:
        """What is still labelled with this run's prefix (empty after :meth:`cleanup`)."""
        label = f"label={RUN_LABEL}={self.prefix}"
        found = []
        for kind in (
            ["ps", "-aq"],
            ["volume", "ls", "-q"],
            ["network", "ls", "-q"],
            ["image", "ls", "-q"],
        ):
            found += self.run(*kind, "--filter", label, check=False).stdout.split()
        return found
