"""The executor contract, run over every executor; and the rules of p53lab.parallel."""

from __future__ import annotations

import ast
import math
import pickle
import socket
import time
from pathlib import Path

import pytest

import p53lab.parallel as parallel
from p53lab.errors import P53labError, ParameterError
from p53lab.parallel import (
    Executor,
    ProcessExecutor,
    SchedulerUnreachableError,
    SerialExecutor,
    make_executor,
)


def square_or_fail(x: int) -> int:
    """A picklable task: x², or a ParameterError for negative x."""
    if x < 0:
        raise ParameterError(f"negative input {x}")
    time.sleep(0.01 * (x % 3))  # finish out of order
    return x * x


@pytest.fixture(
    params=[
        "serial",
        pytest.param("processes", marks=pytest.mark.slow),
        pytest.param("dask", marks=pytest.mark.slow),
    ],
    scope="module",
)
def executor(request):
    if request.param == "serial":
        ex = SerialExecutor()
    elif request.param == "processes":
        ex = ProcessExecutor(2)
    else:
        ex = make_executor(workers=2, backend="dask")
    with ex:
        yield ex


def test_every_outcome_comes_back_once_with_its_key(executor):
    assert isinstance(executor, Executor) and executor.name
    items = [(f"k{i}", i) for i in range(-2, 10)]
    got = dict(executor.submit_all(square_or_fail, items))
    assert set(got) == {k for k, _ in items}
    for key, x in items:
        if x < 0:  # the task's exception is its outcome, with its type and message
            assert isinstance(got[key], ParameterError) and f"negative input {x}" in str(got[key])
        else:
            assert got[key] == x * x
    # the executor is reusable, and an empty batch yields nothing
    assert list(executor.submit_all(square_or_fail, [])) == []
    assert dict(executor.submit_all(math.factorial, [("a", 5)])) == {"a": 120}


def test_stopping_early_is_allowed(executor):
    gen = executor.submit_all(square_or_fail, [(i, i) for i in range(6)])
    key, value = next(gen)
    assert value == key * key
    gen.close()  # cancels what has not started
    assert dict(executor.submit_all(square_or_fail, [(1, 3)])) == {1: 9}


def test_serial_runs_lazily_in_order():
    seen = []

    def record(x):
        seen.append(x)
        return x

    gen = SerialExecutor().submit_all(record, [(i, i) for i in range(3)])
    assert seen == []
    assert next(gen) == (0, 0) and seen == [0]


def test_make_executor_choices():
    assert isinstance(make_executor(), SerialExecutor)
    with make_executor(workers=3) as ex:
        assert isinstance(ex, ProcessExecutor) and ex.name == "processes(3)"
    with pytest.raises(ParameterError, match="not both"):
        make_executor(workers=2, scheduler="tcp://127.0.0.1:8786")
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ParameterError, match="'workers' parameter"):
            make_executor(workers=bad)
    with pytest.raises(ParameterError, match="'backend' parameter"):
        make_executor(workers=2, backend="threads")
    with pytest.raises(ParameterError, match="'timeout_s' parameter"):
        make_executor(scheduler="tcp://127.0.0.1:1", timeout_s=0)


@pytest.mark.slow
def test_an_unanswering_scheduler_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(SchedulerUnreachableError) as info:
        make_executor(scheduler=address, timeout_s=1)
    msg = str(info.value)
    assert address in msg and "within 1 s" in msg and "dask scheduler" in msg
    assert isinstance(info.value, P53labError) and isinstance(info.value, ConnectionError)
    assert str(pickle.loads(pickle.dumps(info.value))) == msg  # errors cross workers


def test_the_package_imports_only_p53lab_errors_and_dask_in_one_module():
    folder = Path(parallel.__file__).parent
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                mod = node.module or ""
                if node.level == 2:  # from ..x import
                    assert mod == "errors", (path.name, mod)
                if node.level == 0 and mod.split(".")[0] == "p53lab":
                    assert mod == "p53lab.errors", (path.name, mod)
                if node.level == 0 and mod.split(".")[0] in ("dask", "distributed"):
                    assert path.name == "_dask.py", (path.name, mod)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    assert top != "p53lab", (path.name, alias.name)
                    if top in ("dask", "distributed"):
                        assert path.name == "_dask.py", (path.name, alias.name)
