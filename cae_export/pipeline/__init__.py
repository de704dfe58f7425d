"""The build engine: targets and views (``target``), their options (``options``), where work
runs (``executor``) and the build itself (``engine``: load -> derive -> render -> merge ->
finish). It knows no format: formats implement ``Target`` and ``View``, ``registry`` lists them."""

from cae_export.pipeline.engine import CHUNK_SIZE, run_build
from cae_export.pipeline.executor import Executor, InProcess, ProcessPool, executor_for
from cae_export.pipeline.options import BuildOptions
from cae_export.pipeline.target import Derived, Findings, Target, View

__all__ = ["CHUNK_SIZE", "BuildOptions", "Derived", "Executor", "Findings", "InProcess",
           "ProcessPool", "Target", "View", "executor_for", "run_build"]
