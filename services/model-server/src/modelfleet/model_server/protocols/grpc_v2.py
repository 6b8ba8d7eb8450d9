"""The Open Inference Protocol over gRPC (``inference.GRPCInferenceService``): translation only.

Inputs come as typed ``contents`` or as ``raw_input_contents``; outputs always go back as
``raw_output_contents``, which is what Triton answers and what ``tritonclient.grpc`` reads.
Domain errors become gRPC statuses (a bad request is INVALID_ARGUMENT, an unknown model NOT_FOUND,
a model still loading UNAVAILABLE) with the same messages the REST endpoints give.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

import grpc

from modelfleet.common.errors import BadRequestError, ModelfleetError, UnavailableError
from modelfleet.model_server.dataplane import DataPlane
from modelfleet.model_server.protocols import oip, tensors
from modelfleet.model_server.protocols.oip import InputTensor, RequestedOutput
from modelfleet.model_server.protocols.proto import open_inference_pb2 as pb
from modelfleet.model_server.protocols.proto import open_inference_pb2_grpc as pb_grpc

STATUS = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    404: grpc.StatusCode.NOT_FOUND,
    413: grpc.StatusCode.RESOURCE_EXHAUSTED,
    415: grpc.StatusCode.INVALID_ARGUMENT,
    422: grpc.StatusCode.INVALID_ARGUMENT,
    503: grpc.StatusCode.UNAVAILABLE,
}
CONTENTS = {
    "BOOL": "bool_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}
"""The typed ``InferTensorContents`` field of each datatype (FP16 and BF16 only travel raw)."""

Request = TypeVar("Request")
Reply = TypeVar("Reply")
Handler = Callable[[Any, Request, grpc.aio.ServicerContext], Awaitable[Reply]]


def _statuses(handler: Handler[Request, Reply]) -> Handler[Request, Reply]:
    """Domain errors as gRPC statuses carrying their detail."""

    @wraps(handler)
    async def wrapper(self: Any, request: Request, context: grpc.aio.ServicerContext) -> Reply:
        try:
            return await handler(self, request, context)
        except ModelfleetError as exc:
            await context.abort(STATUS.get(exc.status_code, grpc.StatusCode.INTERNAL), exc.detail)
            raise  # abort raises; this line only satisfies the type checker

    return wrapper


class InferenceServicer(pb_grpc.GRPCInferenceServiceServicer):
    """Answers every RPC from the data plane, as the REST routes do."""

    def __init__(self, plane: DataPlane) -> None:
        self.plane = plane

    @_statuses
    async def ServerLive(  # noqa: N802 (the protocol's RPC names)
        self, request: pb.ServerLiveRequest, context: grpc.aio.ServicerContext
    ) -> pb.ServerLiveResponse:
        return pb.ServerLiveResponse(live=self.plane.live())

    @_statuses
    async def ServerReady(  # noqa: N802
        self, request: pb.ServerReadyRequest, context: grpc.aio.ServicerContext
    ) -> pb.ServerReadyResponse:
        return pb.ServerReadyResponse(ready=await self.plane.ready() is None)

    @_statuses
    async def ModelReady(  # noqa: N802
        self, request: pb.ModelReadyRequest, context: grpc.aio.ServicerContext
    ) -> pb.ModelReadyResponse:
        try:
            oip.served(self.plane, request.name, request.version)
        except UnavailableError:
            return pb.ModelReadyResponse(ready=False)
        return pb.ModelReadyResponse(ready=True)

    @_statuses
    async def ServerMetadata(  # noqa: N802
        self, request: pb.ServerMetadataRequest, context: grpc.aio.ServicerContext
    ) -> pb.ServerMetadataResponse:
        return pb.ServerMetadataResponse(**oip.server_metadata(self.plane))

    @_statuses
    async def ModelMetadata(  # noqa: N802
        self, request: pb.ModelMetadataRequest, context: grpc.aio.ServicerContext
    ) -> pb.ModelMetadataResponse:
        metadata = oip.model_metadata(oip.served(self.plane, request.name, request.version))
        return pb.ModelMetadataResponse(
            name=metadata["name"],
            versions=metadata["versions"],
            platform=metadata["platform"],
            inputs=[pb.ModelMetadataResponse.TensorMetadata(**t) for t in metadata["inputs"]],
            outputs=[pb.ModelMetadataResponse.TensorMetadata(**t) for t in metadata["outputs"]],
        )

    @_statuses
    async def ModelInfer(  # noqa: N802
        self, request: pb.ModelInferRequest, context: grpc.aio.ServicerContext
    ) -> pb.ModelInferResponse:
        model = oip.served(self.plane, request.model_name, request.model_version)
        columns = oip.columns(model, _inputs(request))
        wanted = [RequestedOutput(name) for name in oip.OUTPUTS]
        if request.outputs:
            wanted = []
            for output in request.outputs:
                oip.check_output(output.name, _parameters(output.parameters))
                wanted.append(RequestedOutput(output.name))
        scored = await self.plane.infer(
            model.schema.from_columns(columns), request_id=oip.request_id(request.id)
        )
        response = pb.ModelInferResponse(
            model_name=scored.model.name, model_version=scored.model.version, id=scored.request_id
        )
        for tensor in oip.outputs(scored, wanted):
            output = response.outputs.add(
                name=tensor.name, datatype=tensor.datatype, shape=tensor.shape
            )
            if "classes" in tensor.parameters:  # a JSON list: parameters hold only scalars
                output.parameters["classes"].string_param = json.dumps(tensor.parameters["classes"])
            if tensor.datatype == "BYTES":
                response.raw_output_contents.append(tensors.encode_strings(tensor.data))
            else:
                response.raw_output_contents.append(tensors.encode_fp64(tensor.data))
        return response


def _inputs(request: pb.ModelInferRequest) -> list[InputTensor]:
    raw = request.raw_input_contents
    if raw and len(raw) != len(request.inputs):
        raise BadRequestError(
            f"raw_input_contents has {len(raw)} entries for {len(request.inputs)} inputs"
        )
    found = []
    for position, tensor in enumerate(request.inputs):
        name, datatype, shape = tensor.name, tensor.datatype, list(tensor.shape)
        if raw:
            if tensor.HasField("contents"):
                raise BadRequestError(
                    f"input {name!r}: give contents or raw_input_contents, not both"
                )
            values = tensors.decode(name, datatype, raw[position], oip.check_shape(name, shape))
        else:
            field = CONTENTS.get(datatype)
            if field is None:
                raise BadRequestError(
                    f"input {name!r}: datatype {datatype!r} must be sent as raw contents"
                )
            values = list(getattr(tensor.contents, field))
            if datatype == "BYTES":
                values = [tensors.text(name, value, i) for i, value in enumerate(values)]
        found.append(InputTensor(name, datatype, shape, values))
    return found


def _parameters(parameters: Any) -> dict[str, Any]:
    """An ``InferParameter`` map as plain values."""
    found = {}
    for key, value in parameters.items():
        choice = value.WhichOneof("parameter_choice")
        found[key] = getattr(value, choice) if choice else None
    return found
