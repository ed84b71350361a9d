#!/usr/bin/env bash
# Descriptor exhaustion under a tiny RLIMIT_NOFILE: sluice admits only the
# tenant connections whose repository connection it can open too (each costs
# two descriptors), says so once at start, answers the next ones 503 busy and
# closes those beyond the busy answers; requests on admitted connections get
# the repository's answer, never 502 "cannot create a socket". When accept()
# runs out of descriptors all the same (forced here by lowering the limit of
# the running process), the episode is logged once when it begins and once,
# with its length and count, when it ends: not at every 0.1 s retry.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
e2e_setup
tap_plan 8

NOFILE=128   # sluice's soft and hard limit: it cannot raise it
ADMITTED=8   # TLS connections opened first, asked a request at the end
OVERFLOW=16  # connections over the cap still answered 503 busy (the minimum)
EXTRA=100    # plain connections opened once the cap is full

e2e_make_ca
e2e_make_cert server 127.0.0.1
e2e_start_upstream up
INI=$E2E_TMP/s.ini
e2e_write_ini "$INI" "$PEER_ADDR"
ini_set "$INI" timeouts handshake 30s # idle plain connections hold their descriptors
# One worker: the checks count on connections being admitted in the order
# they were accepted, which several workers do not keep (each admits its
# own, concurrently), and on the descriptors of one event loop.
ini_set "$INI" proxy workers 1

# The limit applies to sluice alone (exec keeps the pid), not to this shell.
REAL_SLUICE=$SLUICE
SLUICE=$E2E_TMP/sluice-limited
printf '#!/usr/bin/env bash\nulimit -n %d || exit 99\nexec "%s" "$@"\n' "$NOFILE" "$REAL_SLUICE" >"$SLUICE"
chmod +x "$SLUICE"
e2e_start_sluice "$INI"

cap_line=$(grep -o "RLIMIT_NOFILE $NOFILE allows [0-9]* tenant connections, fewer than \[proxy\] max_connections 1000: connections beyond [0-9]* are answered 503 busy" "$SLUICE_LOG")
ALLOWED=$(sed -n 's/.* allows \([0-9]*\) tenant.*/\1/p' <<<"$cap_line")
tap_check "the start-up log states the cap RLIMIT_NOFILE $NOFILE leaves (${ALLOWED:-none})" \
	test -n "$ALLOWED"
# Without that line, guess what the limit leaves, so the rest still runs.
ALLOWED=${ALLOWED:-44}

cat >"$E2E_TMP/clients.py" <<'EOF'
import os, resource, select, socket, ssl, sys, time

port, ca, log, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
allowed, admitted, overflow, extra, nofile = map(int, sys.argv[5:10])
ctx = ssl.create_default_context(cafile=ca)
REQUEST = (b"GET /tsp/1/session HTTP/1.1\r\nHost: t\r\n"
           b"Authorization: Basic YWNtZTpzM2NyZXQ=\r\n\r\n")


def plain():
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.setblocking(False)
    return s


def tls():
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    return ctx.wrap_socket(s, server_hostname="127.0.0.1")


def ask(s):
    """The status and body of one answer on s (kept alive), or what went wrong."""
    try:
        s.sendall(REQUEST)
        f = s.makefile("rb")
        status = f.readline().split(b" ")
        length = 0
        while True:
            line = f.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = f.read(length)
        return (status[1].decode() if len(status) > 1 else "closed"), body.decode(errors="replace")
    except (OSError, ssl.SSLError) as e:
        return type(e).__name__, ""


def ask_new():
    """The status and body of one answer on a new TLS connection."""
    try:
        s = tls()
    except (OSError, ssl.SSLError) as e:
        return type(e).__name__, ""
    try:
        return ask(s)
    finally:
        s.close()


def closed_at_once(socks, want, seconds):
    """How many of socks the peer closed within seconds (stops at want)."""
    gone, deadline = set(), time.monotonic() + seconds
    while len(gone) < want and time.monotonic() < deadline:
        live = [s for s in socks if s not in gone]
        ready, _, _ = select.select(live, [], [], 0.1)
        for s in ready:
            try:
                if s.recv(1) == b"":
                    gone.add(s)
            except OSError:
                gone.add(s)
    return len(gone)


def log_has(text):
    with open(log, errors="replace") as f:
        return text in f.read()


def wait_log(text, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not log_has(text):
        time.sleep(0.05)
    return log_has(text)


def lowest_free_fd():
    used = {int(n) for n in os.listdir("/proc/%d/fd" % pid)}
    return min(set(range(nofile + 1)) - used)


held = [tls() for _ in range(admitted)]
idle = [plain() for _ in range(allowed - admitted)]
# The listener takes connections in order: this one comes after the cap is full.
print("busy", *ask_new())
more = [plain() for _ in range(extra)]
print("closed_at_once", closed_at_once(more, extra - overflow, 3))
print("admitted", *[ask(s)[0] for s in held])

# An episode: no descriptor below the new limit is free, and someone waits.
resource.prlimit(pid, resource.RLIMIT_NOFILE, (lowest_free_fd(), nofile))
waiting = plain()
time.sleep(1.0)  # ten back-offs
for s in held + idle + more + [waiting]:
    s.close()
print("ended", wait_log("descriptors available again", 5))
resource.prlimit(pid, resource.RLIMIT_NOFILE, (nofile, nofile))
print("after", ask_new()[0])
EOF

python3 "$E2E_TMP/clients.py" "$SLUICE_PORT" "$E2E_TMP/ca.crt" "$SLUICE_LOG" "$SLUICE_PID" \
	"$ALLOWED" "$ADMITTED" "$OVERFLOW" "$EXTRA" "$NOFILE" >"$E2E_TMP/clients.out" 2>&1
result() { sed -n "s/^$1 //p" "$E2E_TMP/clients.out"; }

busy_answer() { [[ $(result busy) == 503\ *'"error":"busy"'* ]] || { cat "$E2E_TMP/clients.out"; return 1; }; }
tap_check "a connection over the cap is answered 503 busy" busy_answer
tap_check "connections beyond the busy answers are closed at once" \
	same "closed at once" "$(result closed_at_once)" $((EXTRA - OVERFLOW))
want=$(printf '200 %.0s' $(seq "$ADMITTED"))
tap_check "requests on the $ADMITTED admitted connections get the repository's answers" \
	same "statuses" "$(result admitted)" "${want% }"
tap_check "... none is 502 for want of a socket to the repository" \
	file_lacks "$SLUICE_LOG" "cannot create a socket for the repository"

pauses=$(grep -c 'accept: .*pausing new connections' "$SLUICE_LOG")
tap_check "running out of descriptors in accept() is logged once for the episode (not per retry)" \
	same "pausing lines" "$pauses" 1
ended=$(grep -o 'descriptors available again after [0-9.]* s; [0-9]* accepts failed meanwhile' "$SLUICE_LOG")
ended_once() {
	same "ended lines" "$(grep -c . <<<"$ended")" 1 &&
		[ "$(sed 's/.*; \([0-9]*\) accepts.*/\1/' <<<"$ended")" -ge 5 ] || { echo "$ended"; return 1; }
}
tap_check "its end is logged once, with how long it lasted and how many accepts failed (${ended:-none})" \
	ended_once
tap_check "afterwards a new connection is served" same "status" "$(result after)" 200

e2e_finish
