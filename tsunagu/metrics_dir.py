"""One directory for every process's Prometheus metrics when ``tsunagu serve`` runs several processes.

prometheus-client keeps counters in the memory of the process that counts, so with ``--workers N`` (web processes)
and ``--bot-workers M`` a scrape would see one process only. In its multiprocess mode every process writes its
values to files under ``PROMETHEUS_MULTIPROC_DIR`` and the scrape adds them up (``tsunagu.metrics.scrape``). The
variable must be set before prometheus-client is first imported, in the parent and, by inheritance, in every
child, so ``tsunagu serve`` calls ``share_metrics_dir`` before importing anything that records metrics; this
module therefore must not import prometheus-client itself.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

ENV = "PROMETHEUS_MULTIPROC_DIR"


def share_metrics_dir(processes: int) -> Path | None:
    """Make every process of this server write its metrics to one directory; return it (None: per process).

    A directory the operator set in ``PROMETHEUS_MULTIPROC_DIR`` is used and emptied of an earlier run's files
    (prometheus-client's rule: wipe it between runs; no other server may share it). Otherwise, with more than one
    process, a fresh temporary directory is made for this run and removed at exit; it is not set once
    prometheus-client is imported in this process, whose values would then live in memory, unseen by a scrape
    that reads the files.
    """
    configured = os.environ.get(ENV)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        if "prometheus_client" not in sys.modules:  # else this process's own files are among them already
            for stale in path.glob("*.db"):
                stale.unlink(missing_ok=True)
        return path
    if processes <= 1:
        return None
    if "prometheus_client" in sys.modules:
        logger.warning("metrics: prometheus-client was imported before %s could be set; each process reports its "
                       "own numbers", ENV)
        return None
    path = Path(tempfile.mkdtemp(prefix="tsunagu-metrics-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    os.environ[ENV] = str(path)
    return path
