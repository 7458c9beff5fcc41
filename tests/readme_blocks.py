#!/usr/bin/env python3
"""Extract the fenced code blocks of one language from a Markdown file, so the README's examples
are compiled and run by the tests.

    python tests/readme_blocks.py c README.md            # print them all, concatenated
    python tests/readme_blocks.py c README.md build/ex   # write build/ex_0.c, build/ex_1.c, ...
"""

from __future__ import annotations

import pathlib
import re
import sys


def blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^```{re.escape(lang)}\n(.*?)^```", text, flags=re.S | re.M)


def main() -> int:
    lang, path = sys.argv[1], sys.argv[2]
    found = blocks(pathlib.Path(path).read_text(encoding="utf-8"), lang)
    if not found:
        print(f"no ```{lang} block in {path}", file=sys.stderr)
        return 1
    if len(sys.argv) > 3:
        for i, block in enumerate(found):
            pathlib.Path(f"{sys.argv[3]}_{i}.{lang}").write_text(block, encoding="utf-8")
            print(f"{sys.argv[3]}_{i}.{lang}")
        return 0
    sys.stdout.write("\n".join(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
