"""Write the fingerprints of the article's 8-word runs to tests/article-8grams.txt.

The article is copyrighted: kzgraph points at its paragraphs and never quotes them.
tests/test_data.py rejects any prose literal in data/ that repeats eight consecutive
words of the article. So that the test needs neither the article nor a copy of it,
it compares short SHA-1 fingerprints of normalised 8-word runs, which this script
computes from ../shared/sources/paper-paragraphs.md.

Usage: python scripts/article_ngrams.py [PATH-TO-paper-paragraphs.md]
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N = 8


def words(text: str) -> list[str]:
    """Lower-case word tokens, ignoring punctuation and typographic quotes."""
    return re.findall(r"[a-z0-9]+", text.lower())


def fingerprints(text: str, n: int = N) -> set[str]:
    tokens = words(text)
    return {
        hashlib.sha1(" ".join(tokens[i : i + n]).encode()).hexdigest()[:12]
        for i in range(len(tokens) - n + 1)
    }


def main() -> None:
    default = ROOT.parent / "shared" / "sources" / "paper-paragraphs.md"
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    paragraphs = [
        line for line in source.read_text(encoding="utf-8").splitlines() if line.startswith("[P")
    ]
    prints: set[str] = set()
    for line in paragraphs:
        prints |= fingerprints(re.sub(r"^\[P\d+\]\s*", "", line))
    out = ROOT / "tests" / "article-8grams.txt"
    out.write_text("\n".join(sorted(prints)) + "\n", encoding="ascii")
    print(f"{len(prints)} fingerprints from {len(paragraphs)} paragraphs -> {out}")


if __name__ == "__main__":
    main()
