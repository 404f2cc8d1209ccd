"""Application Auto Scaling: ``SuspendedState`` round-trips as in AWS.

Fixes: RegisterScalableTarget on an existing target replaces SuspendedState
with whatever subset was sent, and a target registered without SuspendedState
reports none.  Like AWS, the three flags always exist (default false) and an
update changes only the flags it sends.  Everything else is moto's: policies
and scheduled actions are stored but never act.
"""

from __future__ import annotations

from typing import Any, Callable

from moto.applicationautoscaling import models as aas_models

_orig_target_init: Callable[..., None] | None = None
_orig_target_update: Callable[..., None] | None = None


def install() -> None:
    """Patch ``FakeScalableTarget.__init__`` and ``update``."""
    global _orig_target_init, _orig_target_update
    _orig_target_init = aas_models.FakeScalableTarget.__init__
    _orig_target_update = aas_models.FakeScalableTarget.update
    aas_models.FakeScalableTarget.__init__ = _target_init  # type: ignore[method-assign]
    aas_models.FakeScalableTarget.update = _target_update  # type: ignore[method-assign]


_SUSPENDED_FLAGS = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")


def _merge_suspended_state(current: Any, given: Any) -> dict[str, bool]:
    state = {flag: bool((current or {}).get(flag, False)) for flag in _SUSPENDED_FLAGS}
    if isinstance(given, dict):
        for flag in _SUSPENDED_FLAGS:
            if given.get(flag) is not None:
                state[flag] = bool(given[flag])
    return state


def _target_init(self: Any, *args: Any, **kwargs: Any) -> None:
    _orig_target_init(self, *args, **kwargs)
    self.suspended_state = _merge_suspended_state(None, self.suspended_state)


def _target_update(self: Any, min_capacity: Any, max_capacity: Any, suspended_state: Any) -> None:
    _orig_target_update(self, min_capacity, max_capacity, None)
    if suspended_state is not None:
        self.suspended_state = _merge_suspended_state(self.suspended_state, suspended_state)
