"""Run a factorscore pipeline on Ray: one task per shard, then the merge task.

    python3 -m factorscore_ray PIPELINE --shards N [--period P | --from P --to Q] [--grain G] --out DIR

Each shard task runs ``factorscore shard PIPELINE --index K --count N --out PARTIALS`` and the merge
task ``factorscore merge PIPELINE --partials PARTIALS --count N --out DIR``: the program does the
work, Ray places the tasks, gives each its CPUs and memory, and retries a task whose process was
killed. The parts folder (``--partials``) must be a path every node sees (a shared file system);
on one machine a temporary folder is used.
"""

from .driver import main, run

__all__ = ["main", "run"]
