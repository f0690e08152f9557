#!/usr/bin/env python3
"""Keeps docs/ honest; run by CTest as `docs.check` (see docs/README.md).

  scripts/check_docs.py            check, print every problem, exit 1 if any
  scripts/check_docs.py --update   rewrite each quoted snippet from its file

Checks:
  1. Every `<!-- snippet: snippets/<name>.cpp -->` marker in docs/*.md is
     followed by a ```cpp block equal to docs/snippets/<name>.cpp (the files
     are the truth: CTest builds and runs them, the pages quote them).
  2. Every docs/snippets/*.cpp is quoted by some page, and every page quotes
     at least one snippet (except the pages in NO_SNIPPET).
  3. docs/README.md links every page of docs/ and every example of examples/.
  4. Every relative link in docs/*.md and README.md points to a file that
     exists and, for a .md target with a #fragment, to a heading (or an
     explicit anchor) of that file. Links to PENDING pages may dangle.
  5. docs/from_node.md links every deliberate difference (### Dn.) of
     docs/semantics.md.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SNIPPETS = DOCS / "snippets"

# Pages that are not about one header: no runnable snippet required.
NO_SNIPPET = {"README.md", "semantics.md", "from_node.md"}
# Pages other branches are writing (design.md's perf_hooks and worker
# threads). Links to them may dangle until they land; delete each name here
# when its page is merged.
PENDING = {"docs/perf_hooks.md", "docs/worker.md"}

MARKER = re.compile(r"^<!-- snippet: (snippets/[A-Za-z0-9_./-]+\.cpp) -->$")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")


def slug(heading):
    """GitHub's anchor for a heading: its text, lower-cased, without
    punctuation other than - and _, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # [text](link) -> text
    text = text.replace("`", "").replace("*", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(path):
    out = set()
    seen = {}
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        m = HEADING.match(line)
        if m:
            base = slug(m.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
        out.update(ANCHOR.findall(line))
    return out


def blocks_after_markers(text):
    """(marker line index, snippet path, block lines, block start, block end)."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        m = MARKER.match(line.strip())
        if not m:
            continue
        if i + 1 >= len(lines) or lines[i + 1].strip() != "```cpp":
            found.append((i, m.group(1), None, i + 1, i + 1))
            continue
        end = i + 2
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        found.append((i, m.group(1), lines[i + 2:end], i + 1, end))
    return found


def links_of(text):
    in_code = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
            yield number, target


def main(update):
    problems = []
    pages = sorted(DOCS.glob("*.md"))
    snippet_files = sorted(SNIPPETS.glob("*.cpp"))
    quoted = set()

    for page in pages:
        text = page.read_text(encoding="utf-8")
        found = blocks_after_markers(text)
        if update and found:
            lines = text.splitlines()
            for i, rel, block, start, end in reversed(found):
                source = DOCS / rel
                if not source.exists():
                    continue
                new = ["```cpp"] + source.read_text(encoding="utf-8").rstrip("\n").splitlines() + ["```"]
                lines[start:end + 1 if block is not None else start] = new
            page.write_text("\n".join(lines) + "\n", encoding="utf-8")
            text = page.read_text(encoding="utf-8")
            found = blocks_after_markers(text)
        for i, rel, block, _, _ in found:
            source = DOCS / rel
            quoted.add(source.resolve())
            where = f"docs/{page.name}:{i + 1}"
            if not source.exists():
                problems.append(f"{where}: quotes {rel}, which does not exist")
            elif block is None:
                problems.append(f"{where}: the marker must be followed by a ```cpp block")
            elif block != source.read_text(encoding="utf-8").rstrip("\n").splitlines():
                problems.append(f"{where}: the quoted block differs from docs/{rel} "
                                "(run scripts/check_docs.py --update)")
        if not found and page.name not in NO_SNIPPET:
            problems.append(f"docs/{page.name}: quotes no runnable snippet "
                            "(<!-- snippet: snippets/<name>.cpp --> then a ```cpp block)")

    for source in snippet_files:
        if source.resolve() not in quoted:
            problems.append(f"docs/snippets/{source.name}: no page quotes it")

    index = (DOCS / "README.md").read_text(encoding="utf-8")
    index_targets = {t.split("#")[0] for _, t in links_of(index)}
    for page in pages:
        if page.name != "README.md" and page.name not in index_targets:
            problems.append(f"docs/README.md: no line for {page.name}")
    examples = sorted(p for p in (ROOT / "examples").iterdir()
                      if p.suffix == ".cpp" or (p.is_dir() and (p / "main.cpp").exists()))
    for example in examples:
        rel = f"../examples/{example.name}" + ("/" if example.is_dir() else "")
        if rel not in index_targets and rel.rstrip("/") not in index_targets:
            problems.append(f"docs/README.md: no line for examples/{example.name}")

    anchor_cache = {}
    for page in pages + [ROOT / "README.md"]:
        for number, target in links_of(page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):
                continue  # http:, https:, mailto:
            path_part, _, fragment = target.partition("#")
            dest = (page.parent / path_part).resolve() if path_part else page.resolve()
            rel_dest = dest.relative_to(ROOT).as_posix() if dest.is_relative_to(ROOT) else str(dest)
            where = f"{page.relative_to(ROOT).as_posix()}:{number}"
            if not dest.exists():
                if rel_dest not in PENDING:
                    problems.append(f"{where}: broken link {target}")
                continue
            if fragment and dest.suffix == ".md":
                if dest not in anchor_cache:
                    anchor_cache[dest] = anchors_of(dest)
                if fragment not in anchor_cache[dest]:
                    problems.append(f"{where}: no heading #{fragment} in {rel_dest}")

    from_node = DOCS / "from_node.md"
    if from_node.exists():
        linked = {t.partition("#")[2] for _, t in links_of(from_node.read_text(encoding="utf-8"))
                  if t.startswith("semantics.md#")}
        for line in (DOCS / "semantics.md").read_text(encoding="utf-8").splitlines():
            m = re.match(r"^### (D\d+)\. ", line)
            if m and slug(line[4:]) not in linked:
                problems.append(f"docs/from_node.md: no link to semantics.md's {m.group(1)} (#{slug(line[4:])})")

    for p in problems:
        print(p)
    if problems:
        print(f"check_docs: {len(problems)} problem(s)")
        return 1
    print(f"check_docs: {len(pages)} pages, {len(snippet_files)} snippets, {len(examples)} examples: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main("--update" in sys.argv[1:]))
