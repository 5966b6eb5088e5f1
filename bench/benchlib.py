"""What the benchmark scripts share: bench/engine.py as a module (its name is the engine package's)."""
from __future__ import annotations

import importlib.util
from pathlib import Path


def engine_bench():
    """bench/engine.py loaded from its file: its bare walk, its engine walk, its timing loop."""
    spec = importlib.util.spec_from_file_location("bench_engine", Path(__file__).with_name("engine.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def api_bench():
    """bench/api.py loaded from its file (its name is the api package's): its fill and its helpers."""
    spec = importlib.util.spec_from_file_location("bench_api", Path(__file__).with_name("api.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
