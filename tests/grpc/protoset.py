"""The test protos, compiled at run time (no generated *_pb2 modules): a descriptor pool with
payments.proto, inventory.proto and rpc_status.proto, message classes from
`message_factory`, and the methods by their request path (`/package.Service/Method`).

Shared by server.py and client.py; `compile_set(out)` writes the FileDescriptorSet the Rust
tests give toolwall (`--include_imports`), which is also what `python -m grpc_tools.protoc`
writes.
"""

import base64
import importlib.resources
import os
import tempfile

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from grpc_tools import protoc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOS = ["payments.proto", "inventory.proto", "rpc_status.proto"]


def compile_set(out, protos=PROTOS):
    """protoc --include_imports --descriptor_set_out=OUT PROTOS (in-process grpc_tools)."""
    include = str(importlib.resources.files("grpc_tools") / "_proto")
    args = ["protoc", "-I", HERE, "-I", include, "--include_imports",
            "--descriptor_set_out=" + out] + list(protos)
    rc = protoc.main(args)
    if rc != 0:
        raise RuntimeError("protoc failed (%d): %s" % (rc, " ".join(args)))


class Method:
    def __init__(self, path, desc, protos):
        self.path = path
        self.desc = desc
        self.client_streaming = desc.client_streaming
        self.server_streaming = desc.server_streaming
        self.input = protos.cls(desc.input_type)
        self.output = protos.cls(desc.output_type)


class Protos:
    def __init__(self, descriptor_set=None):
        if descriptor_set is None:
            with tempfile.TemporaryDirectory() as d:
                out = os.path.join(d, "set.pb")
                compile_set(out)
                with open(out, "rb") as f:
                    raw = f.read()
        else:
            with open(descriptor_set, "rb") as f:
                raw = f.read()
        fds = descriptor_pb2.FileDescriptorSet.FromString(raw)
        self.pool = descriptor_pool.DescriptorPool()
        for fd in fds.file:  # --include_imports lists dependencies first
            self.pool.Add(fd)
        self._classes = {}

    def cls(self, desc):
        c = self._classes.get(desc.full_name)
        if c is None:
            c = message_factory.GetMessageClass(desc)
            self._classes[desc.full_name] = c
        return c

    def message(self, full_name):
        return self.cls(self.pool.FindMessageTypeByName(full_name))

    def method(self, path):
        """The method of `/package.Service/Method`, or None when the pool has no such one."""
        parts = path.split("/")
        if len(parts) != 3 or parts[0] != "":
            return None
        try:
            svc = self.pool.FindServiceByName(parts[1])
        except KeyError:
            return None
        m = svc.methods_by_name.get(parts[2])
        return Method(path, m, self) if m is not None else None

    def services(self):
        names = []
        for fd_name in PROTOS:
            fd = self.pool.FindFileByName(fd_name)
            names.extend(s.full_name for s in fd.services_by_name.values())
        return names

    def to_json(self, msg):
        return json_format.MessageToDict(msg, descriptor_pool=self.pool)

    def from_json(self, cls, obj):
        msg = cls()
        json_format.ParseDict(obj, msg, descriptor_pool=self.pool)
        return msg

    def decode_status(self, raw):
        """grpc-status-details-bin (a google.rpc.Status) as JSON; ErrorInfo details decoded."""
        status = self.message("google.rpc.Status").FromString(raw)
        out = {"code": status.code, "message": status.message, "details": []}
        info_cls = self.message("google.rpc.ErrorInfo")
        for any_ in status.details:
            d = {"type_url": any_.type_url, "value_hex": any_.value.hex()}
            if any_.type_url.endswith("/google.rpc.ErrorInfo"):
                info = info_cls.FromString(any_.value)
                d["error_info"] = {"reason": info.reason, "domain": info.domain,
                                   "metadata": dict(info.metadata)}
            out["details"].append(d)
        return out


def metadata_dict(pairs):
    """gRPC metadata as a JSON object: `-bin` values base64 (padded), repeated keys joined
    with ','."""
    out = {}
    for k, v in pairs or ():
        if isinstance(v, bytes):
            v = base64.b64encode(v).decode()
        out[k] = out[k] + "," + v if k in out else v
    return out
