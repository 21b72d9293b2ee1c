"""A minimal RESP2 client (stdlib only) for the load comparison: single commands,
pipelined bulk loading, and the process figures read from /proc."""

import os
import socket


def encode(*args):
    """One request as RESP multibulk bytes; arguments may be str, bytes or int."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, int):
            a = str(a)
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RespError(Exception):
    """An error reply."""


class Client:
    """A blocking connection that reads whole replies."""

    def __init__(self, port, host="127.0.0.1", timeout=60.0, buffering=1 << 16):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile("rb", buffering=buffering)

    def close(self):
        self.rfile.close()
        self.sock.close()

    def read(self, raise_errors=True):
        """Reads one reply: bytes, int, list, None, or RespError (raised by default)."""
        line = self.rfile.readline()
        if not line:
            raise ConnectionError("connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest
        if kind == b"-":
            err = RespError(rest.decode(errors="replace"))
            if raise_errors:
                raise err
            return err
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.rfile.read(n + 2)
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [self.read(raise_errors) for _ in range(n)]
        raise ConnectionError("bad reply line %r" % line)

    def cmd(self, *args):
        """Sends one command and returns its reply."""
        self.sock.sendall(encode(*args))
        return self.read()

    def pipeline(self, payload, replies):
        """Sends `payload` (already encoded requests) and reads `replies` replies;
        returns the number of error replies."""
        self.sock.sendall(payload)
        errors = 0
        for _ in range(replies):
            if isinstance(self.read(raise_errors=False), RespError):
                errors += 1
        return errors


def wait_ready(port, timeout=15.0):
    """Waits until a server on `port` answers PING."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        try:
            c = Client(port, timeout=2.0)
            try:
                if c.cmd("PING") == b"PONG":
                    return
            finally:
                c.close()
        except (OSError, RespError, ConnectionError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("server on port %d did not start" % port)
        time.sleep(0.05)


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of process `pid` (all its threads, live and exited), seconds."""
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid):
    """Resident set size of process `pid` (VmRSS), bytes."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS for pid %d" % pid)


def free_port():
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
