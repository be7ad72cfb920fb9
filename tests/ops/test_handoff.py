"""`make serve` with several workers: kept-alive connections spread evenly over the worker processes, a
replaced worker takes its turn, the supervisor keeps none of them, and a connection no worker can take is
answered 503 with Retry-After."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.servers import workers_of
from dicom_service.ops.handoff import Handoff
from tests.load.served import Served

CLIENTS = 4
WORKERS = 2


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    service = Served(tmp_path / "data", {"WORKERS": str(WORKERS)}).start()
    try:
        yield service
    finally:
        service.stop()


def server_sockets(port: int, client_ports: set[int]) -> set[int]:
    """The inodes of the service's ends of the connections from `client_ports`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if int(local.rsplit(":", 1)[1], 16) == port and int(remote.rsplit(":", 1)[1], 16) in client_ports:
                inodes.add(int(inode))
    return inodes


def holders(pids: list[int], inodes: set[int]) -> Counter[int]:
    """How many of the sockets `inodes` each process holds open."""
    held: Counter[int] = Counter()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and int(target[8:-1]) in inodes:
                held[pid] += 1
    return held


def connect_all(served: Served) -> list[http.client.HTTPConnection]:
    """CLIENTS kept-alive connections, each having had one answer."""
    connections = []
    for _ in range(CLIENTS):
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        connection.request("GET", "/v2/studies", headers={"Accept": "application/dicom+json"})
        answer = connection.getresponse()
        answer.read()
        assert answer.status in (200, 204)
        connections.append(connection)
    return connections


def spread(served: Served, connections: list[http.client.HTTPConnection]) -> Counter[int]:
    assert served.process is not None
    ports = {connection.sock.getsockname()[1] for connection in connections}
    inodes = server_sockets(served.port, ports)
    assert len(inodes) == CLIENTS
    return holders([served.process.pid, *workers_of(served.process.pid)], inodes)


def spread_once_replaced(served: Served, old: set[int]) -> tuple[list[int], Counter[int]]:
    """(the workers, how many of CLIENTS new connections each holds) once every worker in `old` is
    replaced and the connections spread over the new ones: a replacement takes its turn once it has
    started, which takes a few seconds."""
    assert served.process is not None
    deadline = time.monotonic() + 60
    while True:
        current = workers_of(served.process.pid)
        if len(current) == WORKERS and not old & set(current):
            connections = connect_all(served)  # each answered, whichever worker took it
            try:
                held = spread(served, connections)
            finally:
                for connection in connections:
                    connection.close()
            if sorted(held[pid] for pid in current) == [CLIENTS // WORKERS] * WORKERS:
                return current, held
        if time.monotonic() > deadline:
            raise AssertionError(
                f"the connections did not spread over the new workers within 60 s: {current}"
            )
        time.sleep(0.2)


@pytest.mark.e2e  # starts the service as its own process
def test_kept_alive_connections_are_spread_evenly_over_the_workers(served: Served) -> None:
    assert served.process is not None
    spread_once_replaced(served, set())  # both workers have started (the service answers once one has)
    for _ in range(3):  # by chance, on one shared socket, three even splits in a row: about 1 in 20
        connections = connect_all(served)
        try:
            held = spread(served, connections)
            assert held[served.process.pid] == 0  # the supervisor handed them on and kept no copy
            assert sorted(held.values()) == [CLIENTS // WORKERS] * WORKERS
        finally:
            for connection in connections:
                connection.close()


@pytest.mark.e2e  # starts the service as its own process
def test_a_worker_that_died_is_replaced_and_takes_its_turn(served: Served) -> None:
    assert served.process is not None
    victim = workers_of(served.process.pid)[0]
    os.kill(victim, signal.SIGKILL)
    workers, held = spread_once_replaced(served, {victim})
    assert victim not in workers and set(held) == set(workers)


@pytest.mark.e2e  # starts the service as its own process
def test_a_rolling_restart_hands_connections_to_the_new_workers_only(served: Served) -> None:
    assert served.process is not None
    old = set(workers_of(served.process.pid))
    served.process.send_signal(signal.SIGHUP)
    workers, held = spread_once_replaced(served, old)
    assert set(held) == set(workers)


def test_a_connection_no_worker_can_take_is_answered_503() -> None:
    listener = socket.socket()
    handoff = Handoff(listener, backlog=8)
    ours, theirs = handoff.pair()
    handoff.opened(4242, ours)
    handoff.ready.append(4242)  # started, then gone: its end of the pair is closed
    theirs.close()
    client, served_end = socket.socketpair()
    try:
        with served_end:
            handoff._hand(served_end)
        answer = client.recv(4096).decode()
    finally:
        client.close()
        handoff.stop()
        listener.close()
    assert answer.startswith("HTTP/1.1 503 Service Unavailable\r\n")
    assert "\r\nretry-after: " in answer
    assert "No service process can take the connection now" in answer
