"""Check that a refactor left the demo's reports as they were.

For each of two commits it checks the commit out into a temporary git worktree,
migrates a fresh SQLite database there, runs ``load_demo`` and writes the JSON report
of every demo evaluation under four option sets (the defaults, ``--aggregation
rating``, ``--interval wilson``, ``--resamples 300 --seed 5``), without the
``generated_at`` and ``software`` fields. Then it compares them value by value: every
value in the first commit's report must be in the second's, equal (floats to 1e-12,
the last digit of a sum taken in another order). Values only the second has (fields a
later change added) are counted, not compared.

    python benchmarks/report_identity.py BEFORE [AFTER] [--keep DIR]

AFTER defaults to HEAD. With ``--keep`` the reports are written under DIR/before and
DIR/after, so ``diff -r DIR/before DIR/after`` shows any difference byte by byte.
Exits 1 when a value differs or is missing.
"""

import argparse
import collections
import json
import math
import os
import pathlib
import subprocess
import sys
import tempfile

OPTION_SETS = {
    "defaults": [],
    "rating": ["--aggregation", "rating"],
    "wilson": ["--interval", "wilson"],
    "resamples": ["--resamples", "300", "--seed", "5"],
}
DROPPED = {"generated_at", "software"}
NAMES = (
    "from annotations.models import Evaluation; "
    "print('\\n'.join(Evaluation.objects.order_by('id').values_list('name', flat=True)))"
)


def without_run_fields(value):
    if isinstance(value, dict):
        return {k: without_run_fields(v) for k, v in value.items() if k not in DROPPED}
    if isinstance(value, list):
        return [without_run_fields(v) for v in value]
    return value


def dump(repo, rev, out):
    """Write rev's demo reports under out; an option set a commit refuses is recorded as such."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tree = pathlib.Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", repo, "worktree", "add", "-q", "--detach", tree, rev],
            check=True,
        )
        try:
            env = {
                **os.environ,
                "DJANGO_SECRET_KEY": os.environ.get(
                    "DJANGO_SECRET_KEY", "report-identity"
                ),
                "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
                "CELERY_BROKER_URL": "",
                "CACHE_URL": "",
            }
            env.pop("DJANGO_DEBUG", None)

            def manage(*args):
                return subprocess.run(
                    [sys.executable, "manage.py", *args],
                    cwd=tree,
                    env=env,
                    capture_output=True,
                    text=True,
                )

            for args in (["migrate", "-v", "0"], ["load_demo"]):
                done = manage(*args)
                if done.returncode:
                    sys.exit(
                        f"{rev}: manage.py {' '.join(args)} failed:\n{done.stderr}"
                    )
            names = manage("shell", "-v", "0", "-c", NAMES).stdout.split()
            for number, name in enumerate(names, 1):
                for tag, options in OPTION_SETS.items():
                    done = manage("report", name, "--format", "json", *options)
                    path = out / f"{number}-{tag}.json"
                    if done.returncode:
                        refusal = done.stderr.strip().splitlines()[-1:] or [
                            "(no message)"
                        ]
                        path.write_text(json.dumps({"refused": refusal[0]}))
                        continue
                    report = without_run_fields(json.loads(done.stdout))
                    path.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
            return names
        finally:
            subprocess.run(
                ["git", "-C", repo, "worktree", "remove", "--force", tree], check=True
            )


def leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path, value


def lookup(value, path):
    for key in path:
        value = value[key]
    return value


def compare(before_dir, after_dir):
    counts = collections.Counter()
    differing = collections.Counter()
    for before_path in sorted(before_dir.glob("*.json")):
        before = json.loads(before_path.read_text())
        after = json.loads((after_dir / before_path.name).read_text())
        if "refused" in after and "refused" not in before:
            print(f"  {before_path.stem}: refused after ({after['refused']})")
            differing[(before_path.stem, "refused")] += 1
            continue
        before_leaves = list(leaves(before))
        print(
            f"  {before_path.stem}: {len(before_leaves)} values before, {sum(1 for _ in leaves(after))} after"
        )
        for path, value in before_leaves:
            counts["compared"] += 1
            try:
                other = lookup(after, path)
            except (KeyError, IndexError, TypeError):
                other = KeyError
            if value == other:
                counts["identical"] += 1
            elif (
                isinstance(value, float)
                and isinstance(other, float)
                and math.isclose(value, other, rel_tol=1e-12)
            ):
                counts["last digit"] += 1
            else:
                differing[
                    (
                        before_path.stem,
                        "/".join(str(k) for k in path if isinstance(k, str)),
                    )
                ] += 1
    print(
        f"{counts['compared']} values compared: {counts['identical']} identical, "
        f"{counts['last digit']} equal to 1e-12, {sum(differing.values())} different or missing"
    )
    for (report, path), number in sorted(differing.items()):
        print(f"  {number:5d} in {report}: {path}")
    return not differing


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after", nargs="?", default="HEAD")
    parser.add_argument(
        "--keep", type=pathlib.Path, help="write the reports under this folder"
    )
    args = parser.parse_args()
    repo = pathlib.Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or pathlib.Path(tmp)
        for side, rev in (("before", args.before), ("after", args.after)):
            names = dump(repo, rev, root / side)
            print(f"{side}: {rev}, evaluations {', '.join(names)}")
        sys.exit(0 if compare(root / "before", root / "after") else 1)


if __name__ == "__main__":
    main()
