"""Probe the enforcing mode's iptables rules inside network namespaces the test made.

tool IP4 IP6 PORT...   (in the "outside" namespace) TCP listeners answering TOOL:<port>, and a
                       UDP echo on the first port answering UDPTOOL; runs until killed.
pod IP4 IP6 PORT EXCLUDED
                       (in the "pod" namespace, after `toolwall inject iptables`) a stand-in
                       for toolwall's transparent listener on 127.0.0.1:15081 that answers
                       TOOLWALL:<original destination>, a loopback service on 127.0.0.1:9999,
                       then connections made as UID 1000 (the agent) and 65532 (toolwall);
                       prints a JSON object of what each connection read.
"""

import json
import os
import socket
import struct
import sys
import threading
import time

SO_ORIGINAL_DST = 80


def serve_tcp(addr, family, answer):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(addr)
    s.listen(16)

    def loop():
        while True:
            c, _ = s.accept()
            try:
                c.sendall(answer(c).encode() + b"\n")
            finally:
                c.close()

    threading.Thread(target=loop, daemon=True).start()


def serve_udp(addr, family, answer):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(addr)

    def loop():
        while True:
            _, peer = s.recvfrom(2048)
            s.sendto(answer, peer)

    threading.Thread(target=loop, daemon=True).start()


def original_dst(c):
    raw = c.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
    port, ip = struct.unpack_from("!2xH4s", raw)
    return f"TOOLWALL:{socket.inet_ntoa(ip)}:{port}"


def as_uid(uid, fn):
    """Run fn() in a child process with uid/gid `uid`; return its result (or the error)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            try:
                out = fn()
            except Exception as e:  # noqa: BLE001 - the error is the result
                out = f"ERROR:{type(e).__name__}"
            os.write(w, out.encode())
        finally:
            os._exit(0)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return data.decode()


def tcp(family, host, port):
    def go():
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(3)
        s.connect((host, port))
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(256)
            if not chunk:
                break
            data += chunk
        s.close()
        return data.decode().strip()

    return go


def udp(family, host, port):
    def go():
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.settimeout(2)
        s.connect((host, port))
        s.send(b"ping")
        return s.recv(256).decode()

    return go


def main():
    mode, ip4, ip6 = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "tool":
        ports = [int(p) for p in sys.argv[4:]]
        for p in ports:
            serve_tcp((ip4, p), socket.AF_INET, lambda c, p=p: f"TOOL:{p}")
            serve_tcp((ip6, p), socket.AF_INET6, lambda c, p=p: f"TOOL:{p}")
        serve_udp((ip4, ports[0]), socket.AF_INET, b"UDPTOOL")
        print("ready", flush=True)
        while True:
            time.sleep(3600)
    port, excluded = int(sys.argv[4]), int(sys.argv[5])
    serve_tcp(("127.0.0.1", 15081), socket.AF_INET, original_dst)
    serve_tcp(("127.0.0.1", 9999), socket.AF_INET, lambda c: "LOCAL")
    A, T = 1000, 65532
    out = {
        "agent_tcp": as_uid(A, tcp(socket.AF_INET, ip4, port)),
        "toolwall_tcp": as_uid(T, tcp(socket.AF_INET, ip4, port)),
        "agent_loopback": as_uid(A, tcp(socket.AF_INET, "127.0.0.1", 9999)),
        "agent_excluded": as_uid(A, tcp(socket.AF_INET, ip4, excluded)),
        "agent_udp": as_uid(A, udp(socket.AF_INET, ip4, port)),
        "toolwall_udp": as_uid(T, udp(socket.AF_INET, ip4, port)),
        "agent_tcp6": as_uid(A, tcp(socket.AF_INET6, ip6, port)),
        "toolwall_tcp6": as_uid(T, tcp(socket.AF_INET6, ip6, port)),
    }
    print(json.dumps(out, sort_keys=True))


main()
