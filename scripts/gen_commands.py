#!/usr/bin/env python3
"""Generates src/commands/spec_table.rs from a running redis-server 7.0.15.

For every command ringbus implements (NAMES below) it asks the server for
`COMMAND INFO name` and `COMMAND DOCS name` over RESP3, keeps the reply trees
exactly as Redis sends them (simple vs bulk strings, maps, sets, arrays), drops
the subcommands ringbus does not implement, merges the commands Redis 7.0 lacks
from scripts/extra_commands.json, and writes a static Rust table.

Usage (from the crate root):

    redis-server --port 7102 --save '' --daemonize yes
    python3 scripts/gen_commands.py --port 7102
    rustfmt --edition 2021 src/commands/spec_table.rs

Other modes:

    --selftest        rebuild every command the server knows from its JSON form
                      (the form extra_commands.json uses) and check the result
                      equals what Redis answered; validates the extras builder.
    --dump NAME       print the extra_commands.json form of a command the server
                      has (a template for new entries).

Python 3 standard library only.
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys

# The commands ringbus serves: top-level names, and container subcommands as
# `container|sub` (a container must be listed itself too).
NAMES = [
    "ping", "echo", "hello", "auth", "quit", "reset", "select",
    "client",
    "client|id", "client|setname", "client|getname", "client|setinfo", "client|info",
    "client|list", "client|kill", "client|no-evict", "client|reply", "client|unblock", "client|help",
    "command",
    "command|count", "command|info", "command|docs", "command|list", "command|getkeys",
    "command|getkeysandflags", "command|help",
    "info",
    "config",
    "config|get", "config|set", "config|resetstat", "config|help",
    "dbsize", "flushdb", "flushall",
    "function",
    "function|flush",
    "time", "shutdown",
    "del", "unlink", "exists", "type", "keys", "scan",
    "expire", "pexpire", "expireat", "pexpireat",
    "ttl", "pttl", "expiretime", "pexpiretime",
    "persist", "rename", "renamenx",
    "xadd", "xlen", "xrange", "xrevrange", "xdel", "xtrim", "xread",
    "xinfo", "xinfo|stream", "xinfo|help", "xsetid",
    "xinfo|groups", "xinfo|consumers",
    "xgroup", "xgroup|create", "xgroup|setid", "xgroup|destroy", "xgroup|createconsumer",
    "xgroup|delconsumer", "xgroup|help",
    "xreadgroup", "xack", "xpending", "xclaim", "xautoclaim",
    "multi", "exec", "discard", "watch", "unwatch",
    "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "publish",
    "pubsub", "pubsub|channels", "pubsub|numsub", "pubsub|numpat", "pubsub|help",
]

# Commands whose keys Redis finds with a `getkeys_proc` when their key specs are
# not enough: name -> variant of `GetKeysProc` in src/commands/spec.rs.
GETKEYS_PROCS = {
    "xread": "Xread",
    "xreadgroup": "Xread",
}

# Rust constant of `flags` for each Redis command flag name.
CMD_FLAGS = [
    ("write", "WRITE"), ("readonly", "READONLY"), ("denyoom", "DENYOOM"),
    ("module", "MODULE"), ("admin", "ADMIN"), ("pubsub", "PUBSUB"),
    ("noscript", "NOSCRIPT"), ("blocking", "BLOCKING"), ("loading", "LOADING"),
    ("stale", "STALE"), ("skip_monitor", "SKIP_MONITOR"),
    ("skip_slowlog", "SKIP_SLOWLOG"), ("asking", "ASKING"), ("fast", "FAST"),
    ("no_auth", "NO_AUTH"), ("may_replicate", "MAY_REPLICATE"),
    ("no_mandatory_keys", "NO_MANDATORY_KEYS"),
    ("no_async_loading", "NO_ASYNC_LOADING"), ("no_multi", "NO_MULTI"),
    ("movablekeys", "MOVABLEKEYS"), ("allow_busy", "ALLOW_BUSY"),
]
CMD_FLAG_ORDER = [n for n, _ in CMD_FLAGS]

# Rust constant of `key_flags` for each key-spec flag name, in Redis's reply order.
KEY_FLAGS = [
    ("RO", "RO"), ("RW", "RW"), ("OW", "OW"), ("RM", "RM"),
    ("access", "ACCESS"), ("update", "UPDATE"), ("insert", "INSERT"),
    ("delete", "DELETE"), ("not_key", "NOT_KEY"), ("incomplete", "INCOMPLETE"),
    ("variable_flags", "VARIABLE_FLAGS"),
]
KEY_FLAG_ORDER = [n for n, _ in KEY_FLAGS]
ARG_FLAG_ORDER = ["optional", "multiple", "multiple_token"]
DOC_FLAG_ORDER = ["deprecated", "syscmd"]

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXTRAS = os.path.join(HERE, "extra_commands.json")
OUTPUT = os.path.join(ROOT, "src", "commands", "spec_table.rs")


# ---------------------------------------------------------------------------
# RESP3 client
#
# A reply node is a tuple (type, value):
#   ("simple", str) ("bulk", str) ("error", str) ("int", int) ("null", None)
#   ("double", str) ("bool", bool) ("bignum", str) ("verbatim", str)
#   ("array", [node]) ("set", [node]) ("push", [node]) ("map", [(node, node)])


class Resp3:
    """A minimal blocking RESP3 connection."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port))
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise EOFError("connection closed by server")
        self.buf += data

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line.decode("utf-8")
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data.decode("utf-8")

    def read(self):
        line = self._line()
        t, rest = line[0], line[1:]
        if t == "+":
            return ("simple", rest)
        if t == "-":
            return ("error", rest)
        if t == ":":
            return ("int", int(rest))
        if t == "$":
            n = int(rest)
            return ("null", None) if n < 0 else ("bulk", self._exact(n))
        if t == "=":
            return ("verbatim", self._exact(int(rest)))
        if t == "_":
            return ("null", None)
        if t == ",":
            return ("double", rest)
        if t == "#":
            return ("bool", rest == "t")
        if t == "(":
            return ("bignum", rest)
        if t in "*~>":
            n = int(rest)
            if n < 0:
                return ("null", None)
            kind = {"*": "array", "~": "set", ">": "push"}[t]
            return (kind, [self.read() for _ in range(n)])
        if t == "%":
            n = int(rest)
            return ("map", [(self.read(), self.read()) for _ in range(n)])
        raise ValueError("unknown RESP3 type byte %r" % t)

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode("utf-8") if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        reply = self.read()
        if reply[0] == "error":
            raise RuntimeError("%s: %s" % (" ".join(map(str, args)), reply[1]))
        return reply


# ---------------------------------------------------------------------------
# Reply-tree helpers


def mget(node, key):
    """Value of bulk `key` in a map node (None when absent)."""
    assert node[0] == "map", node
    for k, v in node[1]:
        if k[1] == key:
            return v
    return None


def to_plain(node):
    """A reply node as plain Python data (maps -> dicts; order kept)."""
    t, v = node
    if t in ("array", "set", "push"):
        return [to_plain(x) for x in v]
    if t == "map":
        return {k[1]: to_plain(x) for k, x in v}
    return v


# Node constructors, as Redis's addReply* calls produce them.
def bulk(s):
    return ("bulk", s)


def simple(s):
    return ("simple", s)


def integer(n):
    return ("int", n)


def rmap(pairs):
    return ("map", [(bulk(k), v) for k, v in pairs])


def rset(items):
    return ("set", list(items))


def flag_set(names, order, what):
    for n in names:
        if n not in order:
            raise ValueError("unknown %s flag %r" % (what, n))
    return rset(simple(n) for n in order if n in names)


# ---------------------------------------------------------------------------
# Extra commands: the JSON form -> COMMAND INFO / COMMAND DOCS trees, built the
# way Redis 7.0's addReplyCommandInfo / addReplyCommandDocs do.


def legacy_range(key_specs):
    """Redis's populateCommandLegacyRangeSpec: (first, last, step, movable)."""
    if not key_specs:
        return 0, 0, 0, False

    def plain(ks):
        return "index" in ks["begin_search"] and "range" in ks["find_keys"]

    if len(key_specs) == 1 and plain(key_specs[0]):
        ks = key_specs[0]
        pos = ks["begin_search"]["index"]
        last, step = ks["find_keys"]["range"]["lastkey"], ks["find_keys"]["range"]["keystep"]
        return pos, (last + pos if last >= 0 else last), step, False
    first, lastkey, prev = None, 0, 0
    movable = False
    for ks in key_specs:
        if not plain(ks):
            movable = True
            continue
        pos = ks["begin_search"]["index"]
        last, step = ks["find_keys"]["range"]["lastkey"], ks["find_keys"]["range"]["keystep"]
        if step != 1 or (prev and prev != pos - 1):
            movable = True
            continue
        first = pos if first is None else min(first, pos)
        abs_last = last + pos if last >= 0 else last
        # Redis compares as unsigned, so a negative lastkey wins.
        lastkey = max(lastkey, abs_last, key=lambda x: x % (1 << 32))
        prev = lastkey
    if first is None:
        return 0, 0, 0, True
    return first, lastkey, 1, movable


def is_movable(name, key_specs):
    """Redis's populateCommandMovableKeys."""
    if name in GETKEYS_PROCS:
        return True
    return any(not ("index" in ks["begin_search"] and "range" in ks["find_keys"])
               for ks in key_specs)


def build_key_spec(ks):
    bs = ks["begin_search"]
    if "index" in bs:
        bsn = rmap([("type", bulk("index")),
                    ("spec", rmap([("index", integer(bs["index"]))]))])
    elif "keyword" in bs:
        bsn = rmap([("type", bulk("keyword")),
                    ("spec", rmap([("keyword", bulk(bs["keyword"])),
                                   ("startfrom", integer(bs["startfrom"]))]))])
    else:
        bsn = rmap([("type", bulk("unknown")), ("spec", rmap([]))])
    fk = ks["find_keys"]
    if "range" in fk:
        r = fk["range"]
        last, step, limit = r["lastkey"], r["keystep"], r["limit"]
        fkn = rmap([("type", bulk("range")),
                    ("spec", rmap([("lastkey", integer(last)), ("keystep", integer(step)),
                                   ("limit", integer(limit))]))])
    elif "keynum" in fk:
        k = fk["keynum"]
        idx, first, step = k["keynumidx"], k["firstkey"], k["keystep"]
        fkn = rmap([("type", bulk("keynum")),
                    ("spec", rmap([("keynumidx", integer(idx)), ("firstkey", integer(first)),
                                   ("keystep", integer(step))]))])
    else:
        fkn = rmap([("type", bulk("unknown")), ("spec", rmap([]))])
    pairs = [("notes", bulk(ks["notes"]))] if "notes" in ks else []
    pairs += [("flags", flag_set(ks["flags"], KEY_FLAG_ORDER, "key")),
              ("begin_search", bsn), ("find_keys", fkn)]
    return rmap(pairs)


def build_args(args):
    out = []
    for a in args:
        pairs = [("name", bulk(a["name"])), ("type", bulk(a["type"]))]
        if "key_spec_index" in a:
            pairs.append(("key_spec_index", integer(a["key_spec_index"])))
        for k in ("token", "summary", "since", "deprecated_since"):
            if k in a:
                pairs.append((k, bulk(a[k])))
        if a.get("flags"):
            pairs.append(("flags", flag_set(a["flags"], ARG_FLAG_ORDER, "argument")))
        if a["type"] in ("oneof", "block"):
            pairs.append(("arguments", build_args(a["arguments"])))
        out.append(rmap(pairs))
    return ("array", out)


def build_info(e):
    """The COMMAND INFO entry (without subcommands) of an extra command."""
    key_specs = e.get("key_specs", [])
    first, last, step, movable = legacy_range(key_specs)
    flags = list(e.get("flags", []))
    if (movable or is_movable(e["name"], key_specs)) and "movablekeys" not in flags:
        flags.append("movablekeys")
    return ("array", [
        bulk(e["name"]),
        integer(e["arity"]),
        flag_set(flags, CMD_FLAG_ORDER, "command"),
        integer(first), integer(last), integer(step),
        rset(simple("@" + c) for c in e.get("acl_categories", [])),
        rset(bulk(t) for t in e.get("tips", [])),
        rset(build_key_spec(ks) for ks in key_specs),
        rset([]),
    ])


def build_docs(e):
    """The COMMAND DOCS value (without subcommands) of an extra command."""
    pairs = [("summary", bulk(e["summary"])), ("since", bulk(e["since"])),
             ("group", bulk(e["group"]))]
    if "complexity" in e:
        pairs.append(("complexity", bulk(e["complexity"])))
    if e.get("doc_flags"):
        pairs.append(("doc_flags", flag_set(e["doc_flags"], DOC_FLAG_ORDER, "doc")))
    for k in ("deprecated_since", "replaced_by"):
        if k in e:
            pairs.append((k, bulk(e[k])))
    if e.get("history"):
        pairs.append(("history", rset(("array", [bulk(s), bulk(c)]) for s, c in e["history"])))
    if e.get("arguments"):
        pairs.append(("arguments", build_args(e["arguments"])))
    return rmap(pairs)


# Redis -> JSON form (for --dump and --selftest).


def json_key_spec(node):
    ks = to_plain(node)
    bs, fk = ks["begin_search"], ks["find_keys"]
    if bs["type"] == "index":
        b = {"index": bs["spec"]["index"]}
    elif bs["type"] == "keyword":
        b = {"keyword": bs["spec"]["keyword"], "startfrom": bs["spec"]["startfrom"]}
    else:
        b = {}
    if fk["type"] == "range":
        s = fk["spec"]
        f = {"range": {"lastkey": s["lastkey"], "keystep": s["keystep"], "limit": s["limit"]}}
    elif fk["type"] == "keynum":
        s = fk["spec"]
        f = {"keynum": {"keynumidx": s["keynumidx"], "firstkey": s["firstkey"],
                        "keystep": s["keystep"]}}
    else:
        f = {}
    j = {"notes": ks["notes"]} if "notes" in ks else {}
    j.update({"flags": ks["flags"], "begin_search": b, "find_keys": f})
    return j


def json_args(node):
    return json_args_plain(to_plain(node))


def json_args_plain(args):
    out = []
    for a in args:
        j = {k: a[k] for k in ("name", "type", "key_spec_index", "token", "summary", "since",
                               "deprecated_since", "flags") if k in a}
        if "arguments" in a:
            j["arguments"] = json_args_plain(a["arguments"])
        out.append(j)
    return out


def to_json(info, docs):
    """The extra_commands.json form of a command Redis answered for."""
    v = info[1]
    flags = [f[1] for f in v[2][1] if f[1] != "movablekeys"]
    e = {
        "name": v[0][1],
        "arity": v[1][1],
        "flags": flags,
        "acl_categories": [c[1].lstrip("@") for c in v[6][1]],
        "tips": [t[1] for t in v[7][1]],
        "key_specs": [json_key_spec(ks) for ks in v[8][1]],
    }
    d = to_plain(docs)
    for k in ("summary", "since", "group", "complexity", "doc_flags", "deprecated_since",
              "replaced_by", "history"):
        if k in d:
            e[k] = d[k]
    if "arguments" in d:
        e["arguments"] = json_args(mget(docs, "arguments"))
    return e


# ---------------------------------------------------------------------------
# Collecting the table


def fetch(conn, name):
    info = conn.call("COMMAND", "INFO", name)[1][0]
    docs_all = conn.call("COMMAND", "DOCS", name)
    if info[0] == "null" or not docs_all[1]:
        raise SystemExit("redis-server does not know %r: add it to %s" % (name, EXTRAS))
    return info, docs_all[1][0][1]


def strip_subcommands(info, docs):
    """Info and docs of a container without its subcommands (extras are built so)."""
    v = list(info[1])
    v[9] = rset([])
    pairs = [(k, x) for k, x in docs[1] if k[1] != "subcommands"]
    return ("array", v), ("map", pairs)


def collect(conn, extras):
    """[(name, info, docs)] for the top-level commands, subcommands merged in."""
    wanted = set(NAMES)
    extra_by_name = {e["name"]: e for e in extras}
    for e in extras:
        if "|" in e["name"]:
            container = e["name"].split("|")[0]
            if container not in wanted:
                raise SystemExit("extra %s: container %s is not in NAMES" % (e["name"], container))
        wanted.add(e["name"])
    for n in wanted:
        if "|" in n and n.split("|")[0] not in wanted:
            raise SystemExit("%s listed without its container" % n)

    table = []
    for name in [n for n in NAMES if "|" not in n] + [
            e["name"] for e in extras if "|" not in e["name"] and e["name"] not in NAMES]:
        if name in extra_by_name:
            e = extra_by_name[name]
            info, docs = build_info(e), build_docs(e)
        else:
            info, docs = fetch(conn, name)
        # Keep only the wanted subcommands, then append the extra ones.
        v = list(info[1])
        subs_info = [s for s in v[9][1] if s[1][0][1] in wanted]
        docs_pairs = list(docs[1])
        subs_docs = mget(docs, "subcommands")
        kept_docs = [(k, x) for k, x in (subs_docs[1] if subs_docs else []) if k[1] in wanted]
        have = {s[1][0][1] for s in subs_info}
        for e in extras:
            if e["name"].split("|")[0] == name and "|" in e["name"]:
                if e["name"] in have:
                    raise SystemExit("extra %s: redis-server already has it" % e["name"])
                subs_info.append(build_info(e))
                kept_docs.append((bulk(e["name"]), build_docs(e)))
        missing = {n for n in wanted if n.startswith(name + "|")} - {
            s[1][0][1] for s in subs_info}
        if missing:
            raise SystemExit("unknown subcommands: %s" % ", ".join(sorted(missing)))
        # Redis lists subcommands in its dict order, which changes with every process
        # (random hash seed); sort them so the table is reproducible.
        subs_info.sort(key=lambda s: s[1][0][1])
        kept_docs.sort(key=lambda kv: kv[0][1])
        if v[9][0] == "array" or subs_info:
            v[9] = ("array", subs_info)
        info = ("array", v)
        if subs_docs is not None or kept_docs:
            docs_pairs = [(k, x) for k, x in docs_pairs if k[1] != "subcommands"]
            docs_pairs.append((bulk("subcommands"), ("map", kept_docs)))
        docs = ("map", docs_pairs)
        table.append((name, info, docs))
    return table


# ---------------------------------------------------------------------------
# Rust output


def rust_str(s):
    out = ['"']
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


# A tiny pretty printer: an expression is a str (an atom) or a Group. A group goes on
# one line when it fits (and its contents are short, as rustfmt prefers), otherwise one
# item per line. rustfmt then normalises what it can; what it cannot (lines with long
# string literals) stays readable.

WIDTH = 100
SHORT = 60  # rustfmt's fn_call_width / array_width


class Group:
    def __init__(self, open_, items, close, pad=False, short=SHORT):
        self.open, self.items, self.close, self.pad, self.short = open_, items, close, pad, short


class Field:
    def __init__(self, prefix, value):
        self.prefix, self.value = prefix, value


def flat(e):
    if isinstance(e, str):
        return e
    if isinstance(e, Field):
        return e.prefix + flat(e.value)
    inner = ", ".join(flat(x) for x in e.items)
    if e.pad and inner:
        inner = " " + inner + " "
    return e.open + inner + e.close


def pretty(e, indent):
    """`e` rendered starting at column `indent` (the first line is not indented)."""
    if isinstance(e, str):
        return e
    if isinstance(e, Field):
        return e.prefix + pretty(e.value, indent)
    one = flat(e)
    inner_len = len(one) - len(e.open) - len(e.close)
    if indent + len(one) <= WIDTH and (inner_len <= e.short or not e.items):
        return one
    pad = " " * (indent + 4)
    lines = [e.open]
    for x in e.items:
        lines.append(pad + pretty(x, indent + 4) + ",")
    lines.append(" " * indent + e.close)
    return "\n".join(lines)


def const_name(name):
    return "".join(c.upper() if c.isalnum() else "_" for c in name)


def doc_expr(node, subs=None):
    """A reply node as a `Doc` expression. `subs` maps a subcommand's full name to its
    const, so a container's INFO / DOCS reuse the subcommand's trees."""
    t, v = node
    if t == "null":
        return "Doc::Null"
    if t == "int":
        return "Doc::Int(%d)" % v
    if t == "simple":
        return "Doc::Simple(%s)" % rust_str(v)
    if t == "bulk":
        return "Doc::Bulk(%s)" % rust_str(v)
    if t == "array":
        return Group("Doc::Array(&[", [doc_expr(x, subs) for x in v], "])")
    if t == "set":
        return Group("Doc::Set(&[", [doc_expr(x, subs) for x in v], "])")
    if t == "map":
        parts = []
        for k, x in v:
            if k[0] != "bulk":
                raise ValueError("map key that is not a bulk string: %r" % (k,))
            parts.append(Group("(", [rust_str(k[1]), doc_expr(x, subs)], ")"))
        return Group("Doc::Map(&[", parts, "])")
    raise ValueError("reply type %s has no Doc variant" % t)


def key_spec_expr(node):
    ks = json_key_spec(node)
    flags = " | ".join("key_flags::%s" % r for n, r in KEY_FLAGS if n in ks["flags"]) or "0"
    bs = ks["begin_search"]
    if "index" in bs:
        b = "BeginSearch::Index(%d)" % bs["index"]
    elif "keyword" in bs:
        b = Group("BeginSearch::Keyword {", [
            Field("keyword: ", rust_str(bs["keyword"])),
            Field("startfrom: ", str(bs["startfrom"]))], "}", pad=True, short=18)
    else:
        b = "BeginSearch::Unknown"
    fk = ks["find_keys"]
    if "range" in fk:
        r = fk["range"]
        f = Group("FindKeys::Range {", [Field("%s: " % k, str(r[k]))
                                        for k in ("lastkey", "keystep", "limit")],
                  "}", pad=True, short=18)
    elif "keynum" in fk:
        k_ = fk["keynum"]
        f = Group("FindKeys::Keynum {", [Field("%s: " % k, str(k_[k]))
                                         for k in ("keynumidx", "firstkey", "keystep")],
                  "}", pad=True, short=18)
    else:
        f = "FindKeys::Unknown"
    return Group("KeySpec {", [Field("flags: ", flags), Field("begin_search: ", b),
                               Field("find_keys: ", f)], "}", pad=True, short=18)


def spec_items(info, docs, consts):
    """[(const name, Rust item text)] for a command and (first) its subcommands."""
    v = info[1]
    name = v[0][1]
    out = []
    sub_consts = []
    subs_docs = mget(docs, "subcommands")
    for s in v[9][1]:
        sname = s[1][0][1]
        out += spec_items(s, mget(subs_docs, sname), consts)
        sub_consts.append(const_name(sname))
    cname = const_name(name)
    if cname in consts:
        raise SystemExit("two commands map to the Rust name %s" % cname)
    consts.add(cname)

    # INFO / DOCS of a container refer to the subcommands' own trees.
    if sub_consts:
        iv = list(v)
        iv[9] = ("array", [])
        info_e = doc_expr(("array", iv))
        info_e.items[9] = Group("Doc::Array(&[", ["%s.info" % c for c in sub_consts], "])")
        dpairs = [(k, x) for k, x in docs[1] if k[1] != "subcommands"]
        docs_e = doc_expr(("map", dpairs))
        docs_e.items.append(Group("(", ['"subcommands"', Group(
            "Doc::Map(&[", [Group("(", [rust_str(s[1][0][1]), "%s.docs" % c], ")")
                            for s, c in zip(v[9][1], sub_consts)], "])")], ")"))
    else:
        info_e, docs_e = doc_expr(info), doc_expr(docs)

    flag_names = [f[1] for f in v[2][1]]
    bits = " | ".join("flags::%s" % r for n, r in CMD_FLAGS if n in flag_names) or "0"
    if len("    flags: ,") + len(bits) > WIDTH:
        bits = bits.replace(" | ", "\n        | ")
    proc_ = GETKEYS_PROCS.get(name)
    fields = [
        Field("name: ", rust_str(name)),
        Field("arity: ", str(v[1][1])),
        Field("flags: ", bits),
        Field("first_key: ", str(v[3][1])),
        Field("last_key: ", str(v[4][1])),
        Field("step: ", str(v[5][1])),
        Field("group: ", rust_str(mget(docs, "group")[1])),
        Field("acl_categories: ", Group("&[", [rust_str(c[1].lstrip("@")) for c in v[6][1]],
                                        "]")),
        Field("key_specs: ", Group("&[", [key_spec_expr(ks) for ks in v[8][1]], "]")),
        Field("getkeys: ", "Some(GetKeysProc::%s)" % proc_ if proc_ else "None"),
        Field("info: ", info_e),
        Field("docs: ", docs_e),
        Field("subcommands: ", Group("&[", sub_consts, "]")),
    ]
    body = Group("CommandSpec {", fields, "}", pad=True, short=18)
    text = "/// `%s`.\nconst %s: CommandSpec = %s;\n" % (
        name.upper().replace("|", " "), cname, pretty(body, 0))
    out.append((cname, text))
    return out


def render(table, version):
    names = [name for name, _, _ in table]
    longest = max(len(n) for n in names)
    out = []
    out.append("// @generated by scripts/gen_commands.py from redis-server %s — do not edit\n"
               % version)
    out.append("//! The command table: what redis-server %s answers to COMMAND INFO and\n"
               "//! COMMAND DOCS for every command ringbus serves, plus the commands it lacks\n"
               "//! (scripts/extra_commands.json).\n\n" % version)
    consts = set()
    top = []
    items = []
    for name, info, docs in table:
        for _, text in spec_items(info, docs, consts):
            items.append(text + "\n")
        top.append(const_name(name))
    body = "".join(items)
    used = [n for n in ("flags", "key_flags", "BeginSearch", "CommandSpec", "Doc", "FindKeys",
                        "GetKeysProc", "KeySpec")
            if re.search(r"\b%s\b" % ("%s::" % n if n in ("flags", "key_flags") else n), body)]
    out.append("use super::spec::{%s};\n\n" % ", ".join(used))
    out.append(body)
    out.append("/// Every top-level command, in the order COMMAND lists them.\n")
    out.append("pub static ALL: &[CommandSpec] = &[\n")
    for c in top:
        out.append("    %s,\n" % c)
    out.append("];\n\n")
    out.append("/// The longest top-level command name.\n")
    out.append("const LONGEST: usize = %d;\n\n" % longest)
    out.append("/// Looks up a top-level command by name, ignoring ASCII case; no allocation.\n")
    out.append("pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {\n")
    out.append("    if name.len() > LONGEST {\n        return None;\n    }\n")
    out.append("    let mut buf = [0u8; LONGEST];\n")
    out.append("    let lower = &mut buf[..name.len()];\n")
    out.append("    lower.copy_from_slice(name);\n")
    out.append("    lower.make_ascii_lowercase();\n")
    out.append("    let index = match &*lower {\n")
    for i, n in enumerate(names):
        out.append("        b%s => %d,\n" % (rust_str(n), i))
    out.append("        _ => return None,\n    };\n")
    out.append("    ALL.get(index)\n}\n")
    return "".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--output", default=OUTPUT)
    p.add_argument("--extras", default=EXTRAS)
    p.add_argument("--selftest", action="store_true")
    p.add_argument("--dump", metavar="NAME")
    args = p.parse_args()

    conn = Resp3(args.host, args.port)
    conn.call("HELLO", "3")
    version = to_plain(conn.call("INFO", "server")).split("redis_version:")[1].split()[0]
    if version != "7.0.15":
        print("warning: redis-server is %s, the table is meant to match 7.0.15" % version,
              file=sys.stderr)

    if args.dump:
        info, docs = fetch(conn, args.dump)
        print(json.dumps(to_json(info, docs), indent=4))
        return

    if args.selftest:
        bad = 0
        names = [x[1] for x in conn.call("COMMAND", "LIST")[1]]
        for name in names:
            info, docs = fetch(conn, name)
            e = to_json(info, docs)
            binfo, bdocs = build_info(e), build_docs(e)
            info, docs = strip_subcommands(info, docs)
            # A getkeys_proc is invisible in COMMAND INFO: only its movablekeys flag shows.
            if binfo != info:
                flags = [f for f in info[1][2][1] if f[1] != "movablekeys"]
                i2 = list(info[1])
                i2[2] = ("set", flags)
                b2 = list(binfo[1])
                b2[2] = ("set", [f for f in binfo[1][2][1] if f[1] != "movablekeys"])
                if b2 != i2:
                    print("INFO differs: %s\n  redis: %r\n  built: %r" % (name, info, binfo))
                    bad += 1
            if bdocs != docs:
                print("DOCS differs: %s\n  redis: %r\n  built: %r" % (name, docs, bdocs))
                bad += 1
        print("selftest: %d commands, %d differences" % (len(names), bad))
        sys.exit(1 if bad else 0)

    with open(args.extras, encoding="utf-8") as f:
        extras = json.load(f)["commands"]
    table = collect(conn, extras)
    text = render(table, version)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    try:
        subprocess.run(["rustfmt", "--edition", "2021", args.output], check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        print("warning: rustfmt failed (%s); run it on %s" % (err, args.output),
              file=sys.stderr)
    print("wrote %s: %d top-level commands" % (args.output, len(table)))


if __name__ == "__main__":
    main()
