"""Loaded by every process of a server started with this folder first on PYTHONPATH
(`bench/api_load.py --without-outbox`): the same build with the outbox rows left out, so that
one run can say what writing them adds to the steal path. Never used outside the benches."""

from carbon.services import outbox


def _leave_out(*args: object, **kwargs: object) -> None:
    return None


outbox.record = _leave_out  # type: ignore[assignment]
outbox.record_many = _leave_out  # type: ignore[assignment]
