"""The gRPC server of the Open Inference Protocol, in the HTTP server's event loop.

Started and stopped by the app's lifespan, so gRPC calls share the data plane (its batcher, its
metrics, its prediction log) with the REST routes. ``MODELFLEET_GRPC_PORT=0`` switches it off.
"""

from __future__ import annotations

import logging

import grpc

from modelfleet.model_server.config import ModelServerSettings
from modelfleet.model_server.dataplane import DataPlane
from modelfleet.model_server.protocols.grpc_v2 import InferenceServicer
from modelfleet.model_server.protocols.proto import open_inference_pb2_grpc as pb_grpc

logger = logging.getLogger(__name__)

GRACE_SECONDS = 5.0
"""How long in-flight calls may finish when the server stops."""


class GrpcServer:
    """A ``grpc.aio`` server for ``plane`` on the configured port, or nothing when it is 0."""

    def __init__(
        self, plane: DataPlane, settings: ModelServerSettings, *, reuse_port: bool = False
    ) -> None:
        """``reuse_port`` lets several worker processes of one server share the port; off by
        default, so that a second server given the same port fails at start instead of
        silently splitting the port's traffic with the first."""
        self.plane = plane
        self.settings = settings
        self.reuse_port = reuse_port
        self.port: int | None = None
        self._server: grpc.aio.Server | None = None

    async def start(self) -> None:
        if not self.settings.grpc_port:
            return
        limit = self.settings.max_body_bytes
        server = grpc.aio.server(
            options=[
                ("grpc.so_reuseport", 1 if self.reuse_port else 0),
                ("grpc.max_receive_message_length", limit),
                ("grpc.max_send_message_length", -1),
            ]
        )
        pb_grpc.add_GRPCInferenceServiceServicer_to_server(InferenceServicer(self.plane), server)
        address = f"{self.settings.host}:{self.settings.grpc_port}"
        try:
            self.port = server.add_insecure_port(address)
        except RuntimeError as exc:
            raise RuntimeError(f"cannot listen for gRPC on {address}: {exc}") from exc
        await server.start()
        self._server = server
        logger.info("Open Inference gRPC on %s", address)

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(GRACE_SECONDS)
            self._server = None
