#!/usr/bin/python3
"""check_rooms.py: core/ stays in its rooms (docs/architecture.md, "The rooms").

The rooms, lowest first: domain (pure rules, no I/O), store (LMDB), net (HTTP
server and client, ZeroMQ), api (routes, auth, handlers), lotsd (the program).
A file may include the headers of its own room and of the rooms below it,
never of a room above; and:
  - domain includes no storage or network library header (lmdb, libuv,
    ZeroMQ, libcurl, http_parser);
  - store includes no network library header;
  - only store includes lmdb.h.
A header in include/lotsbok/ belongs to the room holding the .c file of the
same name (store.h -> core/store/store.c); a header with no such file must be
given a room in EXTRA_HEADER_ROOMS. core/ itself holds only the five rooms.
The headers are checked by the same rules as the sources of their room.

Run with no arguments from anywhere in the tree; --self-test first proves the
check fails on a tree that breaks each rule. Exit 0 when clean, 1 with one line
per violation otherwise."""
import os
import re
import shutil
import sys
import tempfile

ROOMS = ["domain", "store", "net", "api", "lotsd"]
RANK = {r: i for i, r in enumerate(ROOMS)}
# Programs outside core/ whose headers core must never include.
OUTSIDE = {"cli": 100, "worker": 100}
EXTRA_HEADER_ROOMS = {}  # "name.h": "room", for a header whose module has another name

STORAGE_OR_NETWORK = ("lmdb.h", "uv.h", "zmq.h", "http_parser.h", "curl/")
NETWORK = ("uv.h", "zmq.h", "http_parser.h", "curl/")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def header_rooms(root):
    """Maps every include/lotsbok/*.h to its room."""
    rooms = {}
    where = {}
    for room in ROOMS:
        d = os.path.join(root, "core", room)
        for f in os.listdir(d) if os.path.isdir(d) else []:
            if f.endswith(".c"):
                where[f[:-2]] = room
    for prog in OUTSIDE:
        d = os.path.join(root, prog)
        for f in os.listdir(d) if os.path.isdir(d) else []:
            if f.endswith(".c"):
                where.setdefault(f[:-2], prog)
    inc = os.path.join(root, "include", "lotsbok")
    for h in sorted(os.listdir(inc)):
        if h.endswith(".h"):
            rooms[h] = EXTRA_HEADER_ROOMS.get(h) or where.get(h[:-2])
    return rooms


def rank(room):
    return RANK.get(room, OUTSIDE.get(room, 1000))


def check_file(path, room, hrooms, problems, rel):
    text = open(path, encoding="utf-8", errors="replace").read()
    for kind, name in INCLUDE_RE.findall(text):
        if name.startswith("lotsbok/"):
            h = name[len("lotsbok/"):]
            hroom = hrooms.get(h)
            if hroom is None:
                problems.append(f"{rel}: includes {name}, which belongs to no room "
                                f"(no core/<room>/{h[:-2]}.c; name it in EXTRA_HEADER_ROOMS)")
            elif rank(hroom) > rank(room):
                problems.append(f"{rel}: room {room} includes {name} of room {hroom} above it")
            continue
        if kind == '"':
            continue  # a room's own private header, next to it
        if room == "domain" and name.startswith(STORAGE_OR_NETWORK):
            problems.append(f"{rel}: domain includes <{name}>, a storage or network header")
        elif room == "store" and name.startswith(NETWORK):
            problems.append(f"{rel}: store includes <{name}>, a network header")
        elif room != "store" and name == "lmdb.h":
            problems.append(f"{rel}: room {room} includes <lmdb.h>; only store may")


def check(root):
    problems = []
    core = os.path.join(root, "core")
    for entry in sorted(os.listdir(core)):
        if entry not in ROOMS:
            problems.append(f"core/{entry}: core/ holds only the rooms {', '.join(ROOMS)}")
    hrooms = header_rooms(root)
    for room in ROOMS:
        d = os.path.join(core, room)
        if not os.path.isdir(d):
            continue
        for dirpath, _, files in os.walk(d):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    p = os.path.join(dirpath, f)
                    check_file(p, room, hrooms, problems, os.path.relpath(p, root))
    inc = os.path.join(root, "include", "lotsbok")
    for h, room in sorted(hrooms.items()):
        if room is None:
            problems.append(f"include/lotsbok/{h}: belongs to no room (no .c of the same name; "
                            f"name it in EXTRA_HEADER_ROOMS)")
        else:
            check_file(os.path.join(inc, h), room, hrooms, problems, f"include/lotsbok/{h}")
    return problems


def self_test():
    """A tree that breaks each rule once must give one problem per break."""
    d = tempfile.mkdtemp(prefix="rooms-")
    try:
        def w(rel, text):
            p = os.path.join(d, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            open(p, "w").write(text)
        for room in ROOMS:
            os.makedirs(os.path.join(d, "core", room))
        w("include/lotsbok/calendar.h", "#include <stdint.h>\n")
        w("include/lotsbok/store.h", '#include "lotsbok/calendar.h"\n')
        w("include/lotsbok/api.h", "#include <uv.h>\n")
        w("include/lotsbok/mystery.h", "\n")
        w("core/domain/calendar.c", '#include "lotsbok/calendar.h"\n#include <lmdb.h>\n'
          '#include "lotsbok/store.h"\n')                     # 2 breaks
        w("core/store/store.c", '#include <lmdb.h>\n#include <zmq.h>\n'
          '#include "lotsbok/api.h"\n')                        # 2 breaks
        w("core/api/api.c", '#include <lmdb.h>\n#include "lotsbok/mystery.h"\n')  # 2 breaks
        w("core/stray.c", "\n")                                # 1 break
        got = check(d)
        # + include/lotsbok/mystery.h belongs to no room
        expected = 8
        if len(got) != expected:
            print(f"check_rooms self-test: expected {expected} problems, got {len(got)}:",
                  *got, sep="\n  ")
            return False
        return True
    finally:
        shutil.rmtree(d)


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    if "--self-test" in sys.argv or len(sys.argv) == 1:
        if not self_test():
            return 1
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"check_rooms: {len(problems)} include(s) break the rooms (docs/architecture.md)")
        return 1
    print("check_rooms: every file in core/ stays in its room")
    return 0


if __name__ == "__main__":
    sys.exit(main())
