#!/usr/bin/env python3
"""Normalises a differential trace (see README.md) and checks it.

A trace is what trace.hpp / trace.js print: init/before/after/destroy/resolve
lines from the hook, and log/note lines from the scenario. normalise()

  1. checks the raw trace for the rules every side must keep (Node's
     sanityCheck): one init per id, one destroy per id, nothing of an id after
     its destroy, before/after nesting, and (unless disabled) that every init
     got its destroy by the end of the run;
  2. drops what the scenario's options say not to compare (destroy lines by
     default: tether and Node emit them at different times on purpose);
  3. renumbers every "#<n>" by first appearance in what is left (#0 and #1,
     "none" and the main thread's top level, are kept).

Options (declared in the scenario's .cpp as `// differential: opt opt=a,b`):

  keep-destroy          compare destroy lines too (rarely meaningful against Node)
  (differs lines, from trace::differs, are never compared with Node: only with
  <name>.tether.expected, together with destroy lines)
  ignore-types=T,U      drop every event of resources of these types
  ignore-resolve        drop promise_resolve lines
  only-output           compare only log/note lines
  log-ids=off           strip exec=/trigger= from log lines
  no-balance            skip the "every init gets a destroy" check
  node-undestroyed=T,U  types Node never destroys in this scenario (PROMISE always)
  cpp-undestroyed=T,U   types tether never destroys in this scenario
  no-nesting            skip the before/after nesting check (hooks toggled mid-callback)
  skip-checks=node      skip the per-side checks for that side (cpp or node)
  exit-code=N           the exit status both programs must end with (default 0)
"""

import re
import sys

ID = re.compile(r"#(\d+)")
EVENT = re.compile(r"^(init|before|after|destroy|resolve) ")
HOOK_EVENTS = ("init", "before", "after", "destroy", "resolve")


def parse_options(source_text):
    """Options from `// differential: ...` lines of a scenario source."""
    opts = {}
    for line in source_text.splitlines():
        m = re.match(r"\s*//\s*differential:\s*(.*)$", line)
        if not m:
            continue
        for word in m.group(1).split():
            key, _, value = word.partition("=")
            if key in opts and value:
                opts[key] = opts[key] + "," + value
            else:
                opts[key] = value if value else True
    return opts


def opt_list(opts, key):
    value = opts.get(key)
    if not value or value is True:
        return set()
    return {v for v in value.split(",") if v}


def parse(text):
    """[(kind, raw_line, id_or_None, type_or_None)]"""
    events = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line:
            continue
        kind = line.split(" ", 1)[0]
        rid = None
        rtype = None
        if kind == "init":
            parts = line.split()
            rtype = parts[1] if len(parts) > 1 else None
            m = ID.search(line)
            rid = int(m.group(1)) if m else None
        elif kind in HOOK_EVENTS:
            m = ID.search(line)
            rid = int(m.group(1)) if m else None
        events.append((kind, line, rid, rtype))
    return events


def check(events, side, opts):
    """The per-side rules; returns a list of problems (strings)."""
    problems = []
    if side in opt_list(opts, "skip-checks"):
        return problems
    types = {}
    destroyed = set()
    stack = []
    for kind, line, rid, rtype in events:
        if kind == "init":
            if rid in types:
                problems.append(f"second init for #{rid}: {line}")
            types[rid] = rtype
        elif kind in ("before", "after", "resolve"):
            if rid in destroyed:
                problems.append(f"{kind} after destroy: {line}")
            if kind == "before":
                stack.append(rid)
            elif kind == "after" and not opts.get("no-nesting"):
                if stack and stack[-1] == rid:
                    stack.pop()
                elif rid in stack:
                    problems.append(f"after out of order (stack {stack}): {line}")
                # else: an after whose before the hook missed (enabled late)
        elif kind == "destroy":
            if rid in destroyed:
                problems.append(f"second destroy: {line}")
            destroyed.add(rid)
    if not opts.get("no-balance"):
        exempt = opt_list(opts, f"{side}-undestroyed")
        if side == "node":
            exempt.add("PROMISE")  # destroyed only by the garbage collector
        for rid, rtype in types.items():
            if rid not in destroyed and rtype not in exempt:
                problems.append(f"init #{rid} ({rtype}) never got destroy")
    return problems


def normalise(text, opts):
    events = parse(text)
    types = {rid: rtype for kind, _, rid, rtype in events if kind == "init"}
    ignored_types = opt_list(opts, "ignore-types")
    keep = []
    for kind, line, rid, _ in events:
        if kind == "differs" and not opts.get("keep-differs"):
            continue
        if opts.get("only-output") and kind not in ("log", "note", "differs"):
            continue
        if kind == "destroy" and not opts.get("keep-destroy"):
            continue
        if kind == "resolve" and opts.get("ignore-resolve"):
            continue
        if kind in HOOK_EVENTS and types.get(rid) in ignored_types:
            continue
        if kind == "log" and opts.get("log-ids") == "off":
            line = re.sub(r" (exec|trigger)=#\d+", "", line)
        keep.append(line)
    numbers = {0: 0, 1: 1}

    def renumber(m):
        n = int(m.group(1))
        if n not in numbers:
            numbers[n] = len(numbers)
        return f"#{numbers[n]}"

    return [ID.sub(renumber, line) for line in keep]


def main(argv):
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("trace", help="a raw trace file")
    ap.add_argument("--side", choices=("cpp", "node"), default="cpp")
    ap.add_argument("--options", default="", help="options as in a scenario header")
    args = ap.parse_args(argv)
    opts = parse_options("// differential: " + args.options)
    with open(args.trace, encoding="utf-8") as f:
        text = f.read()
    for p in check(parse(text), args.side, opts):
        print("PROBLEM:", p, file=sys.stderr)
    print("\n".join(normalise(text, opts)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
