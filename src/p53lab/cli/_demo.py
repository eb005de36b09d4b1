"""Placeholder registration; filled in by its command group."""


def register(sub) -> None:
    pass
