#!/usr/bin/env python3
"""A tiny stand-in repository for sluice's end-to-end tests.

It speaks just enough TSP/1 over plain HTTP/1.1 (keep-alive, pipelining,
Expect: 100-continue) to show what the proxy forwards: every request it
receives is logged, one line each, as

    METHOD PATH BODY_BYTES SHA256_OF_BODY

so a test can prove that a refused request (and its body) never arrived.
Block writes are kept in memory by (task, block) and served back to block
reads, so bodies can be checked both ways.

  --mode normal   answer every request (default)
  --mode silent   read requests and never answer (upstream_response tests)
  --mode continue-flood   read a request, then send "100 Continue" interim
                  answers for ever, one every --interim-gap seconds, and never
                  a final answer ([limits] interim_responses tests); says on
                  stderr when the connection is closed
  --mode continue-slow    answer as normal, but send --interims interim
                  answers, --interim-gap seconds apart, before each answer
  --mode close-reused    answer the first request of each connection; read
                  every later one whole, log it with " unanswered" and close the
                  connection without a byte of an answer: a repository whose
                  idle timeout fires just as a request arrives on a kept-alive
                  connection (the reuse race, [limits] upstream_idle_connections)
  --tls-cert F --tls-key F   speak TLS ([proxy] upstream_tls tests)

A block write to a job named "early-close" is answered 413 with
Connection: close before its body is read (as a repository may do), then the
body is drained and the connection closed.
"""
import argparse
import hashlib
import http.server
import json
import os
import re
import socket
import socketserver
import ssl
import sys
import threading
import time

BLOCK = re.compile(r"^/tsp/1/([a-z-]+)/jobs/([^/]+)/tasks/([^/]+)/blocks/(\d+)$")
TASK_CLOSE = re.compile(r"^/tsp/1/([a-z-]+)/jobs/([^/]+)/tasks/([^/]+)/close$")
TASK_OPEN = re.compile(r"^/tsp/1/([a-z-]+)/jobs/([^/]+)/tasks/([^/]+)$")
JOB_CLOSE = re.compile(r"^/tsp/1/([a-z-]+)/jobs/([^/]+)/close$")
JOB_OPEN = re.compile(r"^/tsp/1/([a-z-]+)/jobs/([^/]+)$")

blocks = {}
lock = threading.Lock()
log_file = None
mode = "normal"
interims = 3
interim_gap = 0.05
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def log_request(method, path, body, note=""):
    line = "%s %s %d %s%s\n" % (method, path, len(body), hashlib.sha256(body).hexdigest(), note)
    with lock:
        log_file.write(line)
        log_file.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "test-upstream"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        chunks, left = [], length
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def answer(self, status, obj=None, body=None, headers=()):
        if body is None:
            body = b"" if obj is None else json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(status)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def answer_early_and_close(self, method):
        log_request(method, self.path, b"")
        self.answer(413, {"error": "block-too-large", "message": "answered before the body"},
                    headers=(("Connection", "close"),))
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_WR)
        self.read_body()
        self.close_connection = True

    def send_interims(self, count):
        """count interim answers (None: for ever); False once the peer is gone."""
        sent = 0
        while count is None or sent < count:
            try:
                self.wfile.write(CONTINUE)
            except OSError:
                self.close_connection = True
                if count is None:
                    sys.stderr.write("continue-flood: the peer closed the connection after %d "
                                     "interim answers\n" % sent)
                    sys.stderr.flush()
                return False
            sent += 1
            time.sleep(interim_gap)
        return True

    def handle_one(self, method):
        if method == "PUT" and "/jobs/early-close/" in self.path:
            return self.answer_early_and_close(method)
        body = self.read_body()
        self.requests_read = getattr(self, "requests_read", 0) + 1
        if mode == "close-reused" and self.requests_read > 1:
            log_request(method, self.path, body, " unanswered")
            self.close_connection = True
            return
        log_request(method, self.path, body)
        if mode == "silent":
            self.close_connection = False
            threading.Event().wait()  # never answer
        if mode == "continue-flood":
            return self.send_interims(None)
        if mode == "continue-slow" and not self.send_interims(interims):
            return
        path = self.path
        m = BLOCK.match(path)
        if m and method == "PUT":
            with lock:
                blocks[(m.group(3), m.group(4))] = body
            return self.answer(201, {"block": int(m.group(4)), "bytes": len(body)})
        if m and method == "GET":
            with lock:
                data = blocks.get((m.group(3), m.group(4)))
            if data is None:
                return self.answer(404, {"error": "unknown-block", "message": "no such block"})
            digest = "sha256=" + hashlib.sha256(data).hexdigest()
            return self.answer(200, body=data, headers=(("Content-Type", "application/octet-stream"),
                                                        ("Tsp-Digest", digest)))
        if path == "/tsp/1/session":
            return self.answer(200, {"protocol": "TSP/1", "server": "test-upstream"})
        m = TASK_CLOSE.match(path)
        if m:
            return self.answer(200, {"task": m.group(3), "state": "complete"})
        m = JOB_CLOSE.match(path)
        if m:
            return self.answer(200, {"job": m.group(2), "state": "closed"})
        m = TASK_OPEN.match(path)
        if m:
            return self.answer(201, {"job": m.group(2), "task": m.group(3), "state": "open"})
        m = JOB_OPEN.match(path)
        if m:
            return self.answer(201, {"job": m.group(2), "state": "open"})
        return self.answer(404, {"error": "not-found", "message": "not a TSP path"})

    def do_GET(self):
        self.handle_one("GET")

    def do_POST(self):
        self.handle_one("POST")

    def do_PUT(self):
        self.handle_one("PUT")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global log_file, mode, interims, interim_gap
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--mode", choices=("normal", "silent", "continue-flood", "continue-slow", "close-reused"),
                    default="normal")
    ap.add_argument("--interims", type=int, default=interims)
    ap.add_argument("--interim-gap", type=float, default=interim_gap)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    mode = args.mode
    interims, interim_gap = args.interims, args.interim_gap
    log_file = open(args.log, "a", buffering=1)
    host, port = args.listen.rsplit(":", 1)
    server = Server((host, int(port)), Handler)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%s:%d\n" % server.server_address[:2])
    os.rename(tmp, args.ready_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
