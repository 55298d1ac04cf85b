"""Check .venv against requirements/lock.txt: every distribution that ``unspoken[dev]`` needs
(its requirements, followed transitively) must be pinned in the lock and installed at exactly
that version. A dependency added to pyproject.toml without regenerating the lock would
otherwise be installed at whatever release is newest. Usage: python check_lock.py LOCK."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version


def read_lock(path: Path) -> dict[str, str]:
    """``{canonical name: version}`` of the ``name==version`` lines of a lock file."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            pins[canonicalize_name(req.name)] = spec.version
    return pins


def needed(root: str) -> dict[str, str]:
    """``{canonical name: installed version}`` of everything ``root`` requires, transitively,
    for this interpreter and platform (environment markers evaluated with the extras asked)."""
    todo, seen, out = [Requirement(root)], set(), {}
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        extras = tuple(sorted(req.extras))
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            out[name] = "(not installed)"
            continue
        out[name] = dist.version
        for sub in dist.requires or []:
            r = Requirement(sub)
            if r.marker is None or any(r.marker.evaluate({"extra": e}) for e in extras or ("",)):
                todo.append(r)
    return out


def same_version(pinned: str | None, installed: str) -> bool:
    return pinned is not None and installed[0].isdigit() and Version(pinned) == Version(installed)


def main(lock: str) -> int:
    pins = read_lock(Path(lock))
    wrong = [
        f"  {name} {have}: " + (f"the lock has {pins[name]}" if name in pins else "not in the lock")
        for name, have in sorted(needed("unspoken[dev]").items())
        if name != "unspoken" and not same_version(pins.get(name), have)
    ]
    if wrong:
        print(
            f"setup-env: .venv does not match {lock}:\n" + "\n".join(wrong) + "\n"
            "(pyproject.toml's dependencies changed without a new lock? run: bash "
            "scripts/update-lock)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
