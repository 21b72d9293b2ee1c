#!/usr/bin/env bash
# redis-cli against a running server on $RINGBUS_HOST:$RINGBUS_PORT: the interactive-mode
# handshake (RESP2 and -3), errors, a scripted stream session compared line for line with
# what redis-server 7.0.15 prints (tests/compat/cli/*.out), and `--pipe` mass insertion
# of 100,000 commands. COMPAT_TARGET=redis runs it against a plain redis-server (how the
# expectations are validated): ringbus's capped tracks then give Redis's uncapped counts.
# Prints `N passed, N failed`.
set -uo pipefail
H=${RINGBUS_HOST:-127.0.0.1}
P=${RINGBUS_PORT:?set RINGBUS_PORT}
TARGET=${COMPAT_TARGET:-ringbus}
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX="compat-cli-$$-$RANDOM"
WORK=$(mktemp -d)
cli() { redis-cli -h "$H" -p "$P" "$@"; }
cleanup() {
  cli --scan --pattern "*$PREFIX*" | while read -r k; do cli del "$k" >/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

passed=0; failed=0
ok() { passed=$((passed+1)); }
fail() { failed=$((failed+1)); echo "FAIL $*"; }
check() { # name, expected substring, command...
  local name=$1 want=$2; shift 2
  local got
  got=$("$@" 2>&1)
  if [[ "$got" == *"$want"* ]]; then ok; else fail "$name: want '$want' got '$got'"; fi
}
check_eq() { # name, expected, actual
  if [[ "$3" == "$2" ]]; then ok; else fail "$1: want '$2' got '$3'"; fi
}

# --- handshake, errors, interactive mode ---------------------------------------------
check ping PONG cli ping
check resp3-hello "proto" cli -3 hello 3
check resp3-null "(nil)" cli -3 --no-raw client getname
check unknown "ERR unknown command 'nosuch', with args beginning with: 'x'" cli nosuch x
check arity "ERR wrong number of arguments for 'echo' command" cli echo
check info "redis_version:7.0.15" cli info server
# Interactive mode reads commands from stdin when it is not a terminal.
session=$(printf 'CLIENT SETNAME cli-test\nCLIENT GETNAME\nSELECT 3\nDBSIZE\nCONFIG GET maxclients\n' | cli)
check session-name cli-test echo "$session"
check session-config 10000 echo "$session"
session3=$(printf 'HELLO 3\nPING\nCOMMAND COUNT\n' | cli -3)
check session-resp3 PONG echo "$session3"

# --- stream commands one at a time ---------------------------------------------------
k="$PREFIX:one"
check xadd "1-1" cli xadd "$k" 1-1 f v
check xadd-auto "-" cli xadd "$k" '*' f v2
check xlen "2" cli xlen "$k"
check xrange "v2" cli xrange "$k" - +
check xrevrange-count "v2" cli xrevrange "$k" + - count 1
check xread "$k" cli xread count 1 streams "$k" 0
check_eq xread-block-timeout "" "$(cli xread block 50 streams "$k" '$')"
check xadd-bad-id "ERR Invalid stream ID specified as stream command argument" cli xadd "$k" bad f v
check xadd-smaller "ERR The ID specified in XADD is equal or smaller than the target stream top item" cli xadd "$k" 1-0 f v
check xdel "1" cli xdel "$k" 1-1
check xtrim "1" cli xtrim "$k" maxlen 0
check type "stream" cli type "$k"

# A blocked XREAD is answered by an XADD from another redis-cli. Reading after an
# explicit id (not `$`) keeps the XADD from racing ahead of the XREAD.
kb="$PREFIX:block"
cli xadd "$kb" 1-1 first yes >/dev/null
cli xread block 5000 streams "$kb" 1-1 >"$WORK/blocked.out" 2>&1 &
reader=$!
for _ in $(seq 1 100); do cli client list | grep -q 'flags=b .*cmd=xread' && break; sleep 0.05; done
cli xadd "$kb" 2-2 woken yes >/dev/null
wait "$reader"
check blocked-xread-woken "woken" cat "$WORK/blocked.out"

# --- a scripted session, the output exactly as redis-server 7.0.15 prints it -----------
for proto in 2 3; do
  sed "s/@P@/$PREFIX-s$proto/g" "$HERE/cli/session.txt" >"$WORK/session.txt"
  sed "s/@P@/$PREFIX-s$proto/g" "$HERE/cli/session.resp$proto.out" >"$WORK/want.out"
  cli "-$proto" --no-raw <"$WORK/session.txt" >"$WORK/got.out" 2>&1
  if diff -u "$WORK/want.out" "$WORK/got.out" >"$WORK/diff.out"; then ok; else
    fail "scripted session (RESP$proto) differs from redis-server 7.0.15:"; cat "$WORK/diff.out"
  fi
done

# --- --pipe mass insertion: 100,000 XADDs into five streams ---------------------------
# Keys: four tracks of one session (ringbus: rings of 1000) and one stream that every
# XADD caps with MAXLEN 500 itself. 20,000 XADDs each; field n counts per key.
python3 - "$PREFIX" >"$WORK/mass.resp" <<'EOF'
import sys
prefix = sys.argv[1]
keys = [f"{{{prefix}-mass}}:conversation", f"{{{prefix}-mass}}:insights",
        f"{prefix}-mass-a:conversation", f"{prefix}-mass-b:insights", f"{prefix}-mass:capped"]
out = sys.stdout.buffer
def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))
for i in range(100_000):
    key = keys[i % 5]
    n = str(i // 5)
    if key.endswith(":capped"):
        cmd("XADD", key, "MAXLEN", "500", "*", "n", n, "payload", "x" * 32)
    else:
        cmd("XADD", key, "*", "n", n, "payload", "x" * 32)
EOF
start=$(date +%s%N)
pipe_out=$(cli --pipe <"$WORK/mass.resp" 2>&1)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check pipe-summary "errors: 0, replies: 100000" echo "$pipe_out"
echo "cli: --pipe of 100000 XADDs took ${ms} ms"
if [ "$TARGET" = ringbus ]; then track_len=1000; else track_len=20000; fi
for key in "{$PREFIX-mass}:conversation" "{$PREFIX-mass}:insights" "$PREFIX-mass-a:conversation" "$PREFIX-mass-b:insights"; do
  check_eq "xlen $key" "$track_len" "$(cli xlen "$key")"
  # The newest entry survives; on ringbus the oldest left is the 1000th from the end.
  check_eq "last $key" "19999" "$(cli --raw xrevrange "$key" + - count 1 | sed -n 3p)"
  check_eq "first $key" "$((20000 - track_len))" "$(cli --raw xrange "$key" - + count 1 | sed -n 3p)"
done
check_eq "xlen capped" "500" "$(cli xlen "$PREFIX-mass:capped")"
check_eq "first capped" "19500" "$(cli --raw xrange "$PREFIX-mass:capped" - + count 1 | sed -n 3p)"
if [ "$TARGET" = ringbus ]; then
  # The session's two tracks end together.
  check session-end "2" cli session.end "{$PREFIX-mass}"
  check_eq "after session.end" "0" "$(cli exists "{$PREFIX-mass}:conversation" "{$PREFIX-mass}:insights")"
fi

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
