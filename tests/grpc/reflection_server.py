"""A grpcio server with server reflection (grpcio-reflection) for toolwall's config tests.

Usage: reflection_server.py DESCRIPTOR_SET [--no-deps | --no-files] [--tls CERT_PEM KEY_PEM]

DESCRIPTOR_SET is a FileDescriptorSet (protoc --include_imports --descriptor_set_out). Every
service in it is served (each method answers an empty message) and reflection describes them
from a descriptor pool built from the set: no generated module is imported. With --no-deps a
reflection answer holds only the file asked for, not the files it imports (the client must ask
for those by name); with --no-files it holds no file at all (a broken server). With --tls the
port speaks TLS with that certificate chain and key. Prints the port it listens on (127.0.0.1), then serves until stdin closes.
"""

import sys
from concurrent import futures

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import _base, reflection


def main():
    path = sys.argv[1]
    no_deps = "--no-deps" in sys.argv[2:]
    no_files = "--no-files" in sys.argv[2:]
    with open(path, "rb") as f:
        fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file in fds.file:
        pool.Add(file)
    services = []
    handlers = []
    for file in fds.file:
        for svc in file.service:
            full = f"{file.package}.{svc.name}" if file.package else svc.name
            services.append(full)
            methods = {
                m.name: grpc.unary_unary_rpc_method_handler(lambda req, ctx: b"")
                for m in svc.method
            }
            handlers.append(grpc.method_handlers_generic_handler(full, methods))
    if no_deps:
        _base._collect_transitive_dependencies = lambda descriptor, seen: seen.update(
            {descriptor.name: descriptor}
        )
    if no_files:
        _base._collect_transitive_dependencies = lambda descriptor, seen: None
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers(tuple(handlers))
    reflection.enable_server_reflection(services + [reflection.SERVICE_NAME], server, pool=pool)
    if "--tls" in sys.argv:
        at = sys.argv.index("--tls")
        with open(sys.argv[at + 1], "rb") as c, open(sys.argv[at + 2], "rb") as k:
            creds = grpc.ssl_server_credentials([(k.read(), c.read())])
        port = server.add_secure_port("127.0.0.1:0", creds)
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    sys.stdin.read()
    server.stop(0)


if __name__ == "__main__":
    main()
