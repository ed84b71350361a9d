#!/usr/bin/env bash
# A tenant that reads its answer slowly, or not at all, costs bounded memory:
# sluice stops reading the repository while the answer's buffer is full, and
# with [limits] upstream_receive_buffer the kernel's receive buffer of that
# repository connection stays at the configured size, so the rest of a
# restore block (16 MiB or more) waits at the repository. When the tenant
# finally reads, every byte arrives (sha256 against the repository's own
# answer). And sluice-repo --max-connections: the connection over it is
# closed at once (TAP).
#
# The kernel's figures come from `ss -tm` (iproute2): skmem rb is the socket's
# receive buffer (Linux doubles the SO_RCVBUF asked for), r the bytes queued.
. "${SLUICE_SRCDIR:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
command -v ss >/dev/null 2>&1 || skip_all "ss (iproute2) is not installed: it reads the socket buffers"
ss -Htm >/dev/null 2>&1 || skip_all "ss -tm does not work here (no sock_diag): it reads the socket buffers"
e2e_setup
TENANT_BIN=$SLUICE_BUILDDIR/sluice-tenant
[ -x "$TENANT_BIN" ] || hard_error "no sluice-tenant at $TENANT_BIN (run make first)"
tap_plan 8

RCVBUF=16384 # [limits] upstream_receive_buffer, bytes
SLACK=65536  # the kernel may queue one segment past rb (64 KiB on loopback)
# The restore block: more than every buffer on the way, the two largest being
# the send buffers of sluice's tenant side and of the repository (the kernel
# grows each up to tcp_wmem's maximum, 4 MiB by default): 16 to 64 MiB.
WMEM_MAX=$(awk '{ print $3 }' /proc/sys/net/ipv4/tcp_wmem 2>/dev/null)
BLOCK=$((2 * ${WMEM_MAX:-4194304} + (8 << 20)))
[ $BLOCK -ge $((16 << 20)) ] || BLOCK=$((16 << 20))
[ $BLOCK -le $((64 << 20)) ] || BLOCK=$((64 << 20))

e2e_make_ca
e2e_make_cert server 127.0.0.1

# The tenant, in Python: "slow" sends one GET, reads nothing until the file GO
# exists, then reads the whole answer and writes its head and the body's
# sha256 and length; "hold" opens N connections to the repository, asks each
# for a hello in turn and prints what each got (200, or closed), then closes
# the first and connects again until a new connection is served.
cat >"$E2E_TMP/tenant.py" <<'EOF'
import hashlib, os, socket, ssl, sys, time

def slow(port, cafile, path, auth, go, out):
    raw = socket.create_connection(("127.0.0.1", int(port)))
    ctx = ssl.create_default_context(cafile=cafile)
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\n%s\r\n\r\n" % (path, auth)).encode())
    open(out + ".sent", "w").close()
    deadline = time.time() + 60
    while not os.path.exists(go) and time.time() < deadline:
        time.sleep(0.05)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    body = bytearray(body)
    while len(body) < length:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        body += chunk
    open(out + ".head", "w").write(head.decode("latin-1"))
    open(out + ".sum", "w").write("%s %d\n" % (hashlib.sha256(body).hexdigest(), len(body)))

def hello(s, auth):
    s.settimeout(5)
    try:
        s.sendall(("GET /tsp/1/session HTTP/1.1\r\nHost: t\r\n%s\r\n\r\n" % auth).encode())
        got = s.recv(65536)
    except socket.timeout:
        return "timeout"
    except OSError:  # a reset: closed before the request arrived
        return "closed"
    if not got:
        return "closed"
    return got.split(b" ")[1].decode() if got.startswith(b"HTTP/1.1 ") else "garbage"

def hold(port, auth, n):
    conns = [socket.create_connection(("127.0.0.1", int(port))) for _ in range(int(n))]
    print(" ".join(hello(s, auth) for s in conns))
    conns[0].close()
    deadline = time.time() + 10
    while time.time() < deadline:  # the freed place is taken by a new connection
        s = socket.create_connection(("127.0.0.1", int(port)))
        if hello(s, auth) == "200":
            print("reconnect 200")
            return
        s.close()
        time.sleep(0.05)
    print("reconnect refused")

{"slow": slow, "hold": hold}[sys.argv[1]](*sys.argv[2:])
EOF

# ---- a repository with a 16 MiB block to restore ----

e2e_start_repo repo
REPO_ADDR=$PEER_ADDR REPO_PORT=${PEER_ADDR##*:}
repo_http() { # METHOD PATH [CURL ARGS...]: plain HTTP straight to the repository
	local method=$1 path=$2
	shift 2
	curl -sS -o /dev/null -w '%{http_code}' -H "$AUTH" -X "$method" "$@" "http://$REPO_ADDR$path"
}
"$TENANT_BIN" --plain --connect "$REPO_ADDR" --tenant acme:s3cret backup --job src --tasks 1 --blocks 1 \
	--block-size $BLOCK --json >"$E2E_TMP/src.json" 2>"$E2E_TMP/src.err" ||
	hard_error "the block could not be stored: $(tail -n 3 "$E2E_TMP/src.err")"
TASK=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["tasks"][0]["task"])' "$E2E_TMP/src.json") ||
	hard_error "no task in $E2E_TMP/src.json"
OPENED="$(repo_http POST /tsp/1/restore/jobs/r -H 'Tsp-Origin: vbr' -H 'Tsp-Workload: vsphere' \
	-H 'Tsp-Source: src') $(repo_http POST "/tsp/1/restore/jobs/r/tasks/$TASK" -H "Tsp-Source: $TASK")"
[ "$OPENED" = "201 201" ] || hard_error "the restore job and task could not be opened ($OPENED)"
BLOCK_PATH=/tsp/1/restore/jobs/r/tasks/$TASK/blocks/0
curl -sS -H "$AUTH" -o "$E2E_TMP/direct.body" "http://$REPO_ADDR$BLOCK_PATH" || hard_error "the block cannot be read"
WANT="$(sha256sum <"$E2E_TMP/direct.body" | cut -d' ' -f1) $BLOCK"
rm -f "$E2E_TMP/direct.body"

# ---- sluice with a small repository receive buffer ----

INI=$E2E_TMP/s.ini
e2e_write_ini "$INI" "$REPO_ADDR"
ini_set "$INI" limits upstream_receive_buffer $RCVBUF
ini_set "$INI" log level info
SLUICE_LOG=$E2E_TMP/sluice.log
"$SLUICE" -c "$INI" -f --ready-file "$E2E_TMP/sluice.ready" >/dev/null 2>>"$SLUICE_LOG" &
SLUICE_PID=$!
E2E_PIDS+=("$SLUICE_PID")
wait_until 10 test -s "$E2E_TMP/sluice.ready"
tap_check "sluice starts with [limits] upstream_receive_buffer = $RCVBUF" test -s "$E2E_TMP/sluice.ready"
SLUICE_PORT=$(sed -n '1s/.*://p' "$E2E_TMP/sluice.ready" 2>/dev/null)
RSS_BEFORE=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SLUICE_PID/status" 2>/dev/null)

python3 "$E2E_TMP/tenant.py" slow "${SLUICE_PORT:-1}" "$E2E_TMP/ca.crt" "$BLOCK_PATH" "$AUTH" \
	"$E2E_TMP/go" "$E2E_TMP/slow" 2>"$E2E_TMP/slow.err" &
SLOW_PID=$!
E2E_PIDS+=("$SLOW_PID")

# skmem FILTER FIELD: a skmem field (r, rb, w...) of the one connected socket
# ss selects; empty unless exactly one matches.
skmem() {
	ss -Htmn state connected "$1" 2>/dev/null | awk -v field="$2" '
		/skmem:/ {
			n++
			s = $0; sub(/.*skmem:\(/, "", s); sub(/\).*/, "", s)
			k = split(s, f, ",")
			for (i = 1; i <= k; i++)
				if (f[i] ~ "^" field "[0-9]+$") v = substr(f[i], length(field) + 1)
		}
		END { if (n == 1) print v }'
}
SLUICE_SIDE="( dport = :$REPO_PORT )" # sluice's connection to the repository
REPO_SIDE="( sport = :$REPO_PORT )"   # the repository's end of it
# The repository is held back: 256 KiB of the answer wait in its send queue,
# which happens only once sluice's receive buffer is full and sluice does not
# read it (the tenant takes nothing, so the answer's buffer is full too).
repository_held() { [ "$(skmem "$REPO_SIDE" w)" -ge 262144 ] 2>/dev/null; }
wait_until 20 repository_held
RB=$(skmem "$SLUICE_SIDE" rb) QUEUED=$(skmem "$SLUICE_SIDE" r) REPO_QUEUED=$(skmem "$REPO_SIDE" w)
RSS_HELD=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SLUICE_PID/status" 2>/dev/null)
echo "# while the tenant reads nothing: sluice's repository socket rb=${RB:-?} r=${QUEUED:-?}," \
	"the repository's send queue ${REPO_QUEUED:-?} bytes; sluice's RSS ${RSS_BEFORE:-?} -> ${RSS_HELD:-?} KiB"

tap_check "the answer backs up to the repository while the tenant reads nothing" repository_held
tap_check "sluice's receive buffer toward the repository is the configured one (rb <= 2 x $RCVBUF)" \
	test "${RB:-999999999}" -le $((2 * RCVBUF))
tap_check "what it holds stays within that buffer (r <= rb + one segment)" \
	test "${QUEUED:-999999999}" -le $((2 * RCVBUF + SLACK))
# Reading the 16 MiB ahead would grow RSS by 16 MiB or more; an ASan build
# grows by several MiB for its own bookkeeping, so it gets 12 MiB of slack.
rss_slack=4096
ldd "$SLUICE" 2>/dev/null | grep -q libasan && rss_slack=12288
tap_check "sluice itself does not read the answer ahead (RSS grew less than $((rss_slack / 1024)) MiB)" \
	test $((${RSS_HELD:-999999} - ${RSS_BEFORE:-0})) -lt "$rss_slack"

touch "$E2E_TMP/go"
e2e_wait_exit "$SLOW_PID" 30
tap_check "the tenant then gets 200 and the whole block byte-exact (sha256, length)" \
	sh -c "head -n 1 '$E2E_TMP/slow.head' | grep -q '^HTTP/1.1 200' &&
		[ \"\$(cat '$E2E_TMP/slow.sum')\" = '$WANT' ]"

# ---- sluice-repo --max-connections ----

echo "acme:s3cret" >"$E2E_TMP/small.users"
"$SLUICE_REPO" --listen 127.0.0.1:0 --data "$E2E_TMP/small.data" --users "$E2E_TMP/small.users" \
	--max-connections 2 --ready-file "$E2E_TMP/small.ready" >/dev/null 2>>"$E2E_TMP/small.err" &
E2E_PIDS+=("$!")
wait_until 10 test -s "$E2E_TMP/small.ready"
tap_check "sluice-repo accepts --max-connections 2" test -s "$E2E_TMP/small.ready"
SMALL_PORT=$(sed -n '1s/.*://p' "$E2E_TMP/small.ready" 2>/dev/null)
python3 "$E2E_TMP/tenant.py" hold "${SMALL_PORT:-1}" "$AUTH" 3 >"$E2E_TMP/hold.out" 2>&1
tap_check "two connections are served, the third is closed at once; one closed makes room" \
	same "answers" "$(paste -sd' ' "$E2E_TMP/hold.out")" "200 200 closed reconnect 200"

e2e_finish
