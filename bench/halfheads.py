#!/usr/bin/env python3
"""Holds many connections that each sent half a request head, to measure a server's memory.

usage: halfheads.py PORT [COUNT]   (standalone: opens COUNT connections, prints how many are
open, then holds them until Enter or Ctrl-C)

As a module: `open_half_heads(port, count)` returns the open sockets; `still_open(socks)`
counts how many the server has not closed. Every socket is non-blocking; at most `inflight`
connects are pending at once so the listen backlog never overflows (an overflow would make
the kernel retry SYNs after a second or more).
"""
import errno
import resource
import selectors
import socket
import sys
import time

HALF_HEAD = b"GET /1k.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def raise_fd_limit(want):
    """Raises RLIMIT_NOFILE to at least `want` (root may raise the hard limit too)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def open_half_heads(port, count, inflight=256, deadline_s=60.0):
    """Opens `count` connections to 127.0.0.1:`port` and sends each HALF_HEAD.

    Returns the list of sockets whose half head was sent. Stops early at the deadline."""
    raise_fd_limit(count + 1024)
    sel = selectors.DefaultSelector()
    done = []
    pending = 0
    started = 0
    end = time.monotonic() + deadline_s
    while len(done) < count and time.monotonic() < end:
        while pending < inflight and started < count:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            err = s.connect_ex(("127.0.0.1", port))
            started += 1
            if err not in (0, errno.EINPROGRESS):
                s.close()
                continue
            sel.register(s, selectors.EVENT_WRITE)
            pending += 1
        if pending == 0:
            break
        for key, _ in sel.select(timeout=1.0):
            s = key.fileobj
            sel.unregister(s)
            pending -= 1
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                s.close()
                continue
            try:
                s.send(HALF_HEAD)
                done.append(s)
            except OSError:
                s.close()
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    sel.close()
    return done


def still_open(socks):
    """How many of `socks` the server has not closed or answered (an answer would be a 408)."""
    n = 0
    for s in socks:
        try:
            if s.recv(1, socket.MSG_PEEK) == b"":
                continue
            continue  # the server wrote something: it gave up on this head
        except BlockingIOError:
            n += 1
        except OSError:
            pass
    return n


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def main():
    port = int(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    t = time.monotonic()
    socks = open_half_heads(port, count)
    print(f"{len(socks)} connections opened in {time.monotonic() - t:.1f} s; "
          f"{still_open(socks)} open now. Enter closes them.", flush=True)
    try:
        sys.stdin.readline()
    except KeyboardInterrupt:
        pass
    close_all(socks)


if __name__ == "__main__":
    main()
