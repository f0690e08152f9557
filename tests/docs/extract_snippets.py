#!/usr/bin/env python3
"""Writes every ```cpp block of the given Markdown pages to its own .cpp file.

    extract_snippets.py --out DIR PAGE.md...

A block whose first line starts with `// synopsis` or `// fragment` is left
out (declarations listed for reading, or a piece of a larger program). Each
file starts with a #line directive, so a compiler error points into the
page. Prints one line per file written: `<path> main` for a complete program
(it defines main: tests/docs builds and runs it), `<path> tu` otherwise
(compiled only). Files whose text did not change are not rewritten, so a
re-configure does not rebuild them.
"""
import argparse
import os
import re
import sys

FENCE = re.compile(r'^(\s*)```(.*)$')


def blocks(path):
    """Yields (first_line_number, text) of each ```cpp block."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m and m.group(2).strip().split(' ')[0] in ('cpp', 'c++'):
            start = i + 1
            j = start
            while j < len(lines) and not FENCE.match(lines[j]):
                j += 1
            if j == len(lines):
                sys.exit(f'{path}:{i + 1}: unterminated ```cpp block')
            yield start + 1, '\n'.join(lines[start:j]) + '\n'
            i = j + 1
        elif m:
            # Another fenced block: skip to its end.
            j = i + 1
            while j < len(lines) and not FENCE.match(lines[j]):
                j += 1
            i = j + 1
        else:
            i += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('pages', nargs='+')
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for page in args.pages:
        stem = os.path.splitext(os.path.basename(page))[0]
        n = 0
        for line, text in blocks(page):
            first = text.lstrip().split('\n', 1)[0]
            if first.startswith('// synopsis') or first.startswith('// fragment'):
                continue
            n += 1
            out = os.path.join(args.out, f'{stem}_{n}.cpp')
            body = f'#line {line} "{os.path.abspath(page)}"\n{text}'
            old = None
            if os.path.exists(out):
                with open(out, encoding='utf-8') as f:
                    old = f.read()
            if old != body:
                with open(out, 'w', encoding='utf-8') as f:
                    f.write(body)
            kind = 'main' if re.search(r'\bint\s+main\s*\(', text) else 'tu'
            print(f'{out} {kind}')


if __name__ == '__main__':
    main()
