#!/usr/bin/env python3
"""tests/e2e/admin_clients.py: misbehaving and concurrent clients of sluice's
admin endpoint, for the admin_*.sh tests. ADDRESS is tcp:HOST:PORT or
unix:PATH.

  slow ADDRESS N READY_FILE [--every S]
      Open N connections, each sending the start of a request head and then
      one more byte every S seconds (never finishing the head). Once all are
      open, and again after each round, READY_FILE gets "open K closed M"
      (M: closed by sluice). Runs until killed.
  trickle ADDRESS LIMIT
      Send a GET /health head one byte per second; print "closed T SENT
      GOT" when sluice closes the connection after T seconds, having sent
      SENT bytes and received GOT, or "open T SENT GOT" after LIMIT
      seconds.
  pause ADDRESS SECONDS
      GET /health, wait SECONDS with nothing in flight, GET /health again on
      the same connection; print both status codes ("200 200"), or what
      happened instead.
  burst ADDRESS N [HEADER...]
      Open N connections, then send POST /reload on each, back to back, then
      read every answer; print one line per answer: STATUS BODY.
  loop ADDRESS CLIENTS SECONDS
      CLIENTS threads each POST /reload again and again for SECONDS; print
      "requests R statuses S1,S2,...".
"""
import os
import socket
import sys
import threading
import time


def connect(address, timeout=10.0):
    kind, _, rest = address.partition(":")
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target = rest
    else:
        host, _, port = rest.rpartition(":")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        target = (host, int(port))
    # A blocking connect: a UNIX socket whose backlog is full makes a
    # non-blocking one fail with EAGAIN instead of waiting to be accepted.
    s.settimeout(None)
    s.connect(target)
    s.settimeout(timeout)
    return s


def read_answer(s, buf=b""):
    """One HTTP answer (head and Content-Length body); (status, body, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError("closed before an answer")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError("closed inside a body")
        rest += chunk
    return status, rest[:length], rest[length:]


def closed_by_peer(s):
    s.setblocking(False)
    try:
        data = s.recv(1)
        return data == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)


def slow(address, n, ready, every):
    head = b"GET /status HTTP/1.1\r\nX-Slow: " + b"a" * 4096
    socks = []
    for _ in range(n):
        try:
            s = connect(address)
            s.sendall(head[:1])
            socks.append(s)
        except OSError:
            socks.append(None)
    sent = 1
    while True:
        time.sleep(0.5)
        closed = 0
        for i, s in enumerate(socks):
            if s is None or closed_by_peer(s):
                if s is not None:
                    s.close()
                    socks[i] = None
                closed += 1
        with open(ready + ".tmp", "w") as f:
            f.write("open %d closed %d\n" % (n - closed, closed))
        os.replace(ready + ".tmp", ready)
        time.sleep(max(0.0, every - 0.5))
        for i, s in enumerate(socks):
            if s is None:
                continue
            try:
                s.sendall(head[sent:sent + 1])
            except OSError:
                s.close()
                socks[i] = None
        sent += 1


def trickle(address, limit):
    head = b"GET /health HTTP/1.1\r\nHost: sluice\r\nUser-Agent: trickle\r\nConnection: close\r\n\r\n"
    s = connect(address)
    start = time.monotonic()
    sent = 0
    got = 0
    while time.monotonic() - start < limit:
        if sent < len(head):
            try:
                s.sendall(head[sent:sent + 1])
                sent += 1
            except OSError:
                print("closed %.1f %d %d" % (time.monotonic() - start, sent, got))
                return
        s.settimeout(1.0)
        try:
            data = s.recv(65536)
            if not data:
                print("closed %.1f %d %d" % (time.monotonic() - start, sent, got))
                return
            got += len(data)
        except socket.timeout:
            pass
        except OSError:
            print("closed %.1f %d %d" % (time.monotonic() - start, sent, got))
            return
    print("open %.1f %d %d" % (time.monotonic() - start, sent, got))


def pause(address, seconds):
    req = b"GET /health HTTP/1.1\r\nHost: sluice\r\n\r\n"
    s = connect(address)
    s.sendall(req)
    first, _, rest = read_answer(s)
    time.sleep(seconds)
    try:
        s.sendall(req)
        second, _, _ = read_answer(s, rest)
    except (OSError, EOFError) as e:
        print("%d then %s" % (first, e))
        return
    print("%d %d" % (first, second))


def burst(address, n, headers):
    extra = "".join(h + "\r\n" for h in headers).encode()
    req = b"POST /reload HTTP/1.1\r\nHost: sluice\r\nContent-Length: 0\r\n" + extra + b"\r\n"
    socks = [connect(address, 30.0) for _ in range(n)]
    for s in socks:
        s.sendall(req)
    for s in socks:
        try:
            status, body, _ = read_answer(s)
            print(status, body.decode("utf-8", "replace").strip())
        except (OSError, EOFError) as e:
            print("error", e)
        s.close()


def loop(address, clients, seconds):
    req = b"POST /reload HTTP/1.1\r\nHost: sluice\r\nContent-Length: 0\r\n\r\n"
    statuses = {}
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def run():
        while time.monotonic() < end:
            try:
                s = connect(address, 30.0)
                s.sendall(req)
                status, _, _ = read_answer(s)
                s.close()
            except (OSError, EOFError):
                status = 0
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("requests %d statuses %s" % (sum(statuses.values()),
                                       ",".join("%d" % k for k in sorted(statuses))))


def main(argv):
    cmd = argv[1]
    if cmd == "slow":
        every = 2.0
        if len(argv) > 5 and argv[5] == "--every":
            every = float(argv[6])
        slow(argv[2], int(argv[3]), argv[4], every)
    elif cmd == "trickle":
        trickle(argv[2], float(argv[3]))
    elif cmd == "pause":
        pause(argv[2], float(argv[3]))
    elif cmd == "burst":
        burst(argv[2], int(argv[3]), argv[4:])
    elif cmd == "loop":
        loop(argv[2], int(argv[3]), float(argv[4]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
