#!/usr/bin/env python3
"""LayeringTest: the library's parts call each other one way only.

Each folder of src/ (and layouts/) says in its CMakeLists.txt what it may call; this check reads
every #include "part/..." of the library's sources and fails, naming the file and line, when a
part includes an internal header of a part it may not call (for example src/store/ including
src/ops/: the store calling the operations that run over it). Public headers (cas/...) are the
contract every part may use.

Usage: layering_check.py SOURCE_DIR
"""
import pathlib
import re
import sys

# The internal headers each part may include, besides its own and the public cas/ headers.
# Lower parts first: util <- walker <- store <- ops, remote <- fetch; checkout sits on store (it
# reaches a remote only through the store's read-through, Store::lookup).
ALLOWED = {
    "layouts": {"util"},
    "src/util": set(),
    "src/walker": {"util"},
    "src/store": {"util", "walker"},
    "src/ops": {"util", "walker", "store"},
    "src/remote": {"util", "store"},
    "src/fetch": {"util", "store", "remote"},
    "src/checkout": {"util", "store"},
}
PARTS = {"util", "walker", "store", "ops", "remote", "fetch", "checkout", "python"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')


def violations(root):
    for part, allowed in ALLOWED.items():
        own = part.split("/")[-1]
        for path in sorted((root / part).rglob("*")):
            if path.suffix not in (".cpp", ".hpp", ".h"):
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                m = INCLUDE.match(line)
                if m and m.group(1) in PARTS and m.group(1) != own and m.group(1) not in allowed:
                    yield f"{path.relative_to(root)}:{number}: {part} may not include {m.group(1)}/"


def main():
    root = pathlib.Path(sys.argv[1])
    found = list(violations(root))
    for v in found:
        print(v)
    if not any((root / part).is_dir() for part in ALLOWED):
        print(f"no library parts under {root}")
        return 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
