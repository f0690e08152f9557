#!/usr/bin/env python3
"""Runs one differential scenario: the C++ program and the Node script, then
compares their normalised traces (README.md). Exit 0 when they match and both
sides keep the per-side rules; 1 otherwise, with a unified diff.

  run_scenario.py --cpp build/.../diff_timers_equal --js scenarios/timers_equal.js \
                  [--src scenarios/timers_equal.cpp] [--node /usr/bin/node] [--show]

Options come from `// differential:` lines in --src (default: the .cpp next to
--js). If <name>.tether.expected exists next to the source, the C++ trace,
normalised with destroy lines kept, must also equal it: that is how a
scenario checks tether's own documented behaviour where it differs from Node.
The expected file holds the whole C++ trace (no option applies but the
renumbering), so it is written with --write-expected and checked by eye.
"""

import argparse
import difflib
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import normalise as nm  # noqa: E402

TIMEOUT = 30


def run(cmd, cwd):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    except OSError as e:
        return None, "", f"cannot run {cmd[0]}: {e}"
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode("utf-8", "replace"), f"timed out after {TIMEOUT}s"
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cpp", required=True, help="the scenario's C++ executable")
    ap.add_argument("--js", required=True, help="the scenario's Node script")
    ap.add_argument("--src", help="the scenario's C++ source (options; default: beside --js)")
    ap.add_argument("--node", default="node")
    ap.add_argument("--show", action="store_true", help="print both normalised traces")
    ap.add_argument("--write-expected", action="store_true",
                    help="(re)write <name>.tether.expected from this tether run (check it by eye!)")
    args = ap.parse_args(argv)
    args.cpp = os.path.abspath(args.cpp)
    args.js = os.path.abspath(args.js)

    src = args.src or os.path.splitext(args.js)[0] + ".cpp"
    with open(src, encoding="utf-8") as f:
        opts = nm.parse_options(f.read())
    expected_path = os.path.splitext(src)[0] + ".tether.expected"
    want_status = int(opts.get("exit-code", 0) or 0)
    workdir = os.path.dirname(os.path.abspath(args.js))

    failures = []
    sides = {}
    for side, cmd in (("cpp", [args.cpp]), ("node", [args.node, args.js])):
        status, out, err = run(cmd, workdir)
        sides[side] = (status, out, err)
        if status != want_status:
            failures.append(f"{side}: exit status {status}, expected {want_status}")
        for problem in nm.check(nm.parse(out), side, opts):
            failures.append(f"{side}: {problem}")

    cpp_lines = nm.normalise(sides["cpp"][1], opts)
    node_lines = nm.normalise(sides["node"][1], opts)
    diff = list(difflib.unified_diff(node_lines, cpp_lines, "node", "tether", lineterm="", n=4))
    if diff:
        failures.append("normalised traces differ (- node, + tether):\n" + "\n".join(diff))

    if args.write_expected:
        exp_opts = {"keep-destroy": True, "keep-differs": True}
        header = []
        if os.path.exists(expected_path):
            with open(expected_path, encoding="utf-8") as f:
                header = [line.rstrip("\n") for line in f if line.startswith("//")]
        if not header:
            header = ["// tether's trace for this scenario, destroy and differs lines included",
                      "// (run_scenario.py --write-expected; see README.md)."]
        with open(expected_path, "w", encoding="utf-8") as f:
            f.write("\n".join(header + nm.normalise(sides["cpp"][1], exp_opts)) + "\n")
        print(f"wrote {expected_path}")

    if os.path.exists(expected_path):
        exp_opts = {"keep-destroy": True, "keep-differs": True}
        got = nm.normalise(sides["cpp"][1], exp_opts)
        with open(expected_path, encoding="utf-8") as f:
            want = [line.rstrip() for line in f if line.strip() and not line.startswith("//")]
        d = list(difflib.unified_diff(want, got, os.path.basename(expected_path), "tether", lineterm="", n=4))
        if d:
            failures.append("tether trace (destroys kept) differs from its .tether.expected:\n" + "\n".join(d))

    if args.show or failures:
        for side in ("node", "cpp"):
            print(f"===== {side} (normalised; differs lines shown, not compared) =====")
            print("\n".join(nm.normalise(sides[side][1], dict(opts, **{"keep-differs": True}))))
    if failures:
        for side in ("node", "cpp"):
            err = sides[side][2].strip()
            if err:
                print(f"===== {side} stderr =====\n{err}")
        print("===== FAILED =====")
        for f in failures:
            print(f)
        return 1
    print(f"ok: {len(cpp_lines)} lines match")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
