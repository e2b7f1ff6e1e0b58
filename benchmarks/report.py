"""Writes a benchmark's section of `docs/benchmarks.md`."""

import os

PAGE_HEADER = """# Benchmarks

Each section below is written by the script it names; run it again to
update the section. Numbers are from this repository's machine (2 CPU cores,
no GPU) unless a section says otherwise.
"""


def update_section(out_dir, name, text):
    """Replaces section `name` of `out_dir/benchmarks.md` with `text`."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "benchmarks.md")
    page = PAGE_HEADER
    if os.path.exists(path):
        with open(path) as f:
            page = f.read()
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{text.rstrip()}\n{end}"
    if start in page and end in page:
        before, rest = page.split(start, 1)
        page = before + block + rest.split(end, 1)[1]
    else:
        page = page.rstrip() + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(page)
    return path
