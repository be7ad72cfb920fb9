"""Connections handed to the workers in turn, so that kept-alive clients spread evenly over the processes.

With several workers on one shared listening socket, whichever worker wakes first accepts every connection
waiting (the event loop accepts up to its backlog at once): four clients that connect together often all
land on one or two processes, and a kept-alive connection stays where it landed for its life, leaving a
core idle (measured: 3:1 and 4:0 splits of 4 storing clients in most runs).

Here the supervisor alone accepts, in a thread, and passes each connection (its file descriptor, over a
Unix socket pair per worker) to the next worker that has finished its start-up, round-robin. A worker that
cannot take it at once (its queue full: hung) is skipped; with none able to, the client is answered 503.
A worker serves a connection handed to it as one it accepted itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import threading
from typing import Any

from uvicorn.server import Server
from uvicorn.supervisors.multiprocess import Process

from dicom_service.web.protocol import refused_by_supervisor

log = logging.getLogger("dicom_service.serving")
ACCEPT_WAKE_SECONDS = 0.25  # how soon the accepting thread sees a stop
HANDED = b"c"


class Handoff:
    """The supervisor's side: accept on `listener`, hand each connection to the ready workers in turn."""

    def __init__(self, listener: socket.socket, backlog: int) -> None:
        self.listener = listener
        self.backlog = backlog
        self.channels: dict[int, socket.socket] = {}  # worker pid → our end of its socket pair
        self.ready: list[int] = []  # pids of the workers that have finished their start-up, in turn order
        self.turn = 0
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, name="handoff", daemon=True)

    def _start(self) -> None:
        """Listen once the first worker serves: until then a client is refused at once, as without the
        handoff (uvicorn's workers each call listen() when they start serving), not left waiting."""
        self.listener.listen(self.backlog)
        self.listener.settimeout(ACCEPT_WAKE_SECONDS)
        self.thread.start()

    def stop(self) -> None:
        """Accept no more connections (those waiting in the backlog are reset when the process exits)."""
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join()
        with self.lock:
            for pid in list(self.channels):
                self._close(pid)

    def pair(self) -> tuple[socket.socket, socket.socket]:
        """(ours, the worker's): a new worker's channel, one message per connection."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ours.setblocking(False)
        return ours, theirs

    def opened(self, pid: int, ours: socket.socket) -> None:
        with self.lock:
            self.channels[pid] = ours

    def serving(self, pid: int) -> None:
        """The worker has finished its start-up: it takes its turn from now on."""
        with self.lock:
            if pid in self.channels and pid not in self.ready:
                self.ready.append(pid)
            if not self.thread.is_alive() and not self.stopped.is_set():
                self._start()

    def retired(self, pid: int) -> None:
        """The worker is stopping or gone: no more connections for it."""
        with self.lock:
            self._close(pid)

    def _close(self, pid: int) -> None:
        if pid in self.ready:
            self.ready.remove(pid)
        channel = self.channels.pop(pid, None)
        if channel is not None:
            channel.close()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            if not self.ready:  # every worker is being replaced: connections wait in the kernel's backlog
                self.stopped.wait(0.02)
                continue
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError as exc:  # out of file descriptors, say: the connection waits in the backlog
                if self.stopped.is_set():
                    return
                log.warning("accepting a connection failed: %s", exc)
                self.stopped.wait(0.05)
                continue
            with connection:
                self._hand(connection)

    def _hand(self, connection: socket.socket) -> None:
        with self.lock:
            for _ in range(len(self.ready)):
                pid = self.ready[self.turn % len(self.ready)]
                self.turn += 1
                try:
                    socket.send_fds(self.channels[pid], [HANDED], [connection.fileno()])
                    return
                except OSError:  # its queue is full (hung) or it is gone: the next worker
                    continue
        connection.setblocking(True)
        connection.settimeout(1.0)
        with contextlib.suppress(OSError):
            connection.sendall(refused_by_supervisor())


class HandedProcess(Process):
    """A worker whose connections come from the supervisor over the socket pair it was given."""

    @property
    def server(self) -> Server:
        if self._server is None:
            self._server = HandedServer(config=self.config)
        return self._server


class HandedServer(Server):
    """uvicorn's server, listening on the socket pair instead of on a port."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        if not sockets or sockets[0].family != socket.AF_UNIX:
            await super().startup(sockets)
            return
        await super().startup([])  # the application's start-up, no listener
        protocol = functools.partial(  # as uvicorn's startup builds it
            self.config.http_protocol_class,  # type: ignore[call-arg]
            config=self.config,
            server_state=self.server_state,
            app_state=self.lifespan.state,
        )
        self.servers = [_Channel(sockets[0], protocol)]  # type: ignore[list-item]


class _Channel:
    """The worker's end of its socket pair, read on the event loop; closed as uvicorn closes a listener."""

    def __init__(self, channel: socket.socket, protocol: Any) -> None:
        self.loop = asyncio.get_running_loop()
        self.channel = channel
        self.protocol = protocol
        self.pending: set[asyncio.Task[Any]] = set()
        channel.setblocking(False)
        self.loop.add_reader(channel.fileno(), self._take)

    def _take(self) -> None:
        while True:
            try:
                message, fds, _, _ = socket.recv_fds(self.channel, 1, 8)
            except BlockingIOError:
                return
            except OSError:
                self.close()
                return
            if not message and not fds:  # the supervisor is gone
                self.close()
                return
            for fd in fds:
                task = self.loop.create_task(self._serve(socket.socket(fileno=fd)))
                self.pending.add(task)
                task.add_done_callback(self.pending.discard)

    async def _serve(self, connection: socket.socket) -> None:
        try:
            await self.loop.connect_accepted_socket(self.protocol, connection)
        except OSError:
            connection.close()

    def close(self) -> None:
        if self.channel.fileno() != -1:
            self.loop.remove_reader(self.channel.fileno())
            self.channel.close()

    async def wait_closed(self) -> None:
        return None
