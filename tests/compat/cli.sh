#!/usr/bin/env bash
# redis-cli against a running ringbus on $RINGBUS_PORT: the interactive-mode handshake
# (RESP2 and -3), errors, and a scripted session. Prints `N passed, N failed`.
set -uo pipefail
P=${RINGBUS_PORT:?set RINGBUS_PORT}
passed=0; failed=0
check() { # name, expected substring, command...
  local name=$1 want=$2; shift 2
  local got
  got=$("$@" 2>&1)
  if [[ "$got" == *"$want"* ]]; then passed=$((passed+1)); else failed=$((failed+1)); echo "FAIL $name: want '$want' got '$got'"; fi
}
check ping PONG redis-cli -p "$P" ping
check resp3-hello "proto" redis-cli -3 -p "$P" hello 3
check resp3-null "(nil)" redis-cli -3 --no-raw -p "$P" client getname
check unknown "ERR unknown command 'nosuch', with args beginning with: 'x'" redis-cli -p "$P" nosuch x
check arity "ERR wrong number of arguments for 'echo' command" redis-cli -p "$P" echo
check info "redis_version:7.0.15" redis-cli -p "$P" info server
# Interactive mode reads commands from stdin when it is not a terminal.
session=$(printf 'CLIENT SETNAME cli-test\nCLIENT GETNAME\nSELECT 3\nDBSIZE\nCONFIG GET maxclients\n' | redis-cli -p "$P")
check session-name cli-test echo "$session"
check session-config 10000 echo "$session"
session3=$(printf 'HELLO 3\nPING\nCOMMAND COUNT\n' | redis-cli -3 -p "$P")
check session-resp3 PONG echo "$session3"
echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
