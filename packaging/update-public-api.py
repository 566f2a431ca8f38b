#!/usr/bin/env python3
"""
Writes what the compiler reports as undeclared public API (RS0016) into PublicAPI.Unshipped.txt of the
project it belongs to, and drops lines it reports as gone (RS0017) from both baselines. A deliberate API
change is then: change the code, run this, review the diff of the PublicAPI files, commit.

    python3 packaging/update-public-api.py [--ship]

--ship: afterwards move every Unshipped line into Shipped (at a release).
Builds the packed libraries through Chaos.NUnit (which references Chaos.Harness, which references the proxy).
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECTS = ["src/Chaos.Harness", "src/Chaos.NUnit", "toxiproxy"]
ADDED = re.compile(r"^(?P<file>/[^(]+)\(\d+,\d+\): error RS0016: Symbol '(?P<sym>.*)' is not part of the declared public API")
REMOVED = re.compile(r"error RS0017: Symbol '(?P<sym>.*)' is part of the declared API, but is either not public or could not be found")


def project_of(path):
    rel = os.path.relpath(path, ROOT).replace(os.sep, "/")
    return next((p for p in PROJECTS if rel.startswith(p + "/")), None)


def read(path):
    with open(path, encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def write(path, lines):
    body = sorted(set(l for l in lines if l != "#nullable enable"))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(["#nullable enable"] + body) + "\n")


for attempt in range(len(PROJECTS) + 1):
    out = subprocess.run(["dotnet", "build", os.path.join(ROOT, "src/Chaos.NUnit/Chaos.NUnit.csproj"), "-nologo", "-v", "q"],
                         capture_output=True, text=True).stdout
    added, removed = {}, set()
    for line in out.splitlines():
        if m := ADDED.match(line):
            if project := project_of(m.group("file")):
                added.setdefault(project, set()).add(m.group("sym"))
        elif m := REMOVED.search(line):
            removed.add(m.group("sym"))
    if not added and not removed:
        break
    for project in PROJECTS:
        for name in ("PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt"):
            path = os.path.join(ROOT, project, name)
            lines = [l for l in read(path) if l not in removed]
            if name.endswith("Unshipped.txt"):
                lines += sorted(added.get(project, ()))
            write(path, lines)
    print(f"pass {attempt + 1}: {sum(map(len, added.values()))} added, {len(removed)} removed")

others = [l for l in out.splitlines() if ": error " in l and " RS0016" not in l and " RS0017" not in l]
for line in sorted(set(others)):
    print(line)

if "--ship" in sys.argv:
    for project in PROJECTS:
        shipped = os.path.join(ROOT, project, "PublicAPI.Shipped.txt")
        unshipped = os.path.join(ROOT, project, "PublicAPI.Unshipped.txt")
        write(shipped, read(shipped) + read(unshipped))
        write(unshipped, [])
sys.exit(1 if others else 0)
