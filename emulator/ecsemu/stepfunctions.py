"""Step Functions in the local emulator: moto's interpreter runs the executions.

Without moto's configuration ``stepfunctions.execute_state_machine`` (off by default),
an execution runs nothing: it is ``SUCCEEDED`` at once, with no output.  With it, moto's
ASL interpreter (``moto/stepfunctions/parser``, LocalStack's) runs each execution in a
thread of its own: Task, Map (inline and distributed), Choice, Pass, Wait, Fail, Retry,
Catch, intrinsic functions.  It is always on here (``install()``); see emulator/README.md,
"Step Functions".  What this module fixes of it:

* **Where its Task states call AWS.**  ``boto_client_for`` builds its clients for
  ``http://localhost:{MOTO_PORT}``; the launcher calls ``set_endpoint_url()`` with the
  emulator's own URL, and the clients use that (the host it bound, its port), so a Lambda
  Task reaches this emulator's Lambda (which, with ``lambda_bootstrap``, runs the bootstrap).
* **A distributed Map's failure threshold.**  moto parses ``ToleratedFailureCount`` and
  ``ToleratedFailurePercentage`` and never applies them: every failed item is tolerated
  (its output ``null``) and the Map succeeds.  Here the Map Run fails with
  ``States.ExceedToleratedFailureThreshold`` ("The specified tolerated failure threshold
  was exceeded") once its failed and timed-out items exceed the count, or their share of
  all items exceeds the percentage, or, with neither field, at the first failed item
  (AWS's default: 0).  No new item starts after that; items already running finish and
  their results are dropped (AWS: "Step Functions may continue to run child workflows in a
  Map Run even after the tolerated failure threshold is exceeded, but before the Map Run
  fails").
* **An integer ``ToleratedFailurePercentage``** (``100``) is a syntax error of moto's ASL
  grammar, which wants a decimal number there (``100.0``); AWS takes either.  The
  definition is parsed with such values as decimals (what is stored and described is the
  definition as given).
* **A JSONPath filter that matches nothing** (``$.list[?(@.ok == true)]``) is ``[]``, as
  on AWS, not a ``States.Runtime`` error (moto issue #10078).
* **ValidateStateMachineDefinition and ListStateMachineVersions**, which the Terraform AWS
  provider calls (before it creates or updates a state machine; when it reads one), are not
  implemented (HTML 500, which the provider retries for minutes).  The first answers ``OK``,
  or ``FAIL`` with one ``ERROR`` diagnostic (``SCHEMA_VALIDATION_FAILED``, moto's parser's
  message), parsing as CreateStateMachine does; the second lists the published versions
  (newest first, no paging).
* **The context object's times** (``$$.Execution.StartTime``, ``$$.State.EnteredTime``) are
  Python's ``isoformat()``, ``2025-06-01T10:00:00.123456+00:00``; they are AWS's form here,
  ``2025-06-01T10:00:00.123Z`` (UTC, milliseconds).
* **StartExecution without a name** makes the execution ``...:execution:<machine>:None``
  (every unnamed execution of a state machine the same ARN, and a second one with the same
  input while the first runs *is* the first): it gets a UUID as its name, as on AWS.
* **A distributed Map's child workflow executions.**  moto runs each item in a thread of the
  parent execution and none is an execution: ListExecutions takes no ``mapRunArn``,
  DescribeExecution knows only parents.  Here each item of a Map Run (of a
  ``DistributedItemProcessorWorker`` or ``DistributedIteratorWorker``) is a child execution
  from the moment its input is known (after ``ItemSelector``): ARN
  ``arn:...:execution:<machine>/<label>:<uuid>`` (the Map Run's state machine ARN,
  ``:stateMachine:`` made ``:execution:``, then its name, a UUID), ``stateMachineArn``
  ``arn:...:stateMachine:<machine>/<label>``, its ``mapRunArn``; ``RUNNING`` while the item
  runs, then ``SUCCEEDED`` (``output``), ``FAILED`` (``error`` and ``cause``, what the item's
  failure carried), ``TIMED_OUT`` or ``ABORTED``, with ``stopDate``.  ListExecutions with
  ``mapRunArn`` lists them (newest start first; ``statusFilter``, ``maxResults``, ``nextToken``;
  ``mapRunArn`` with ``stateMachineArn`` is a ValidationException, an unknown Map Run
  ResourceNotFound), DescribeExecution describes them.  They are not executions of any state
  machine (ListExecutions by ``stateMachineArn`` leaves them out), and a reset forgets them.
* **``/moto-api/reset``** stops the running executions first (``stop_executions()``,
  from ``control.py``), so that none keeps invoking functions of a reset emulator, and
  forgets the child executions.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import threading
import types
import uuid
from typing import Any, Callable

import boto3

log = logging.getLogger("ecs_emulator")

__all__ = ["install", "set_endpoint_url", "stop_executions"]

#: The emulator's own URL (the launcher sets it): where the interpreter's clients go.
_endpoint_url: str | None = None

EXCEEDED_CAUSE = "The specified tolerated failure threshold was exceeded"


def set_endpoint_url(url: str) -> None:
    global _endpoint_url
    _endpoint_url = url


class _Boto3ToEmulator:
    """Stands for ``boto3`` in moto's ``boto_client`` module: a client made there goes to
    the emulator's own URL (moto builds ``http://localhost:{MOTO_PORT}``)."""

    @staticmethod
    def client(*args: Any, **kwargs: Any) -> Any:
        if _endpoint_url is not None and "endpoint_url" in kwargs:
            kwargs["endpoint_url"] = _endpoint_url
        return boto3.client(*args, **kwargs)


def install() -> None:
    """Switch moto's interpreter on and apply the fixes above."""
    from moto.core.config import default_user_config
    from moto.stepfunctions.parser.asl.utils import boto_client, json_path

    default_user_config["stepfunctions"] = {**default_user_config.get("stepfunctions", {}), "execute_state_machine": True}
    boto_client.boto3 = _Boto3ToEmulator  # type: ignore[attr-defined]

    original_indefinite = json_path._contains_slice_or_wildcard_array
    if not getattr(original_indefinite, "_emulator", False):

        def indefinite(path: str) -> bool:
            # extract_json returns [] instead of failing when this says the path is indefinite.
            return "[?" in path or original_indefinite(path)

        indefinite._emulator = True  # type: ignore[attr-defined]
        json_path._contains_slice_or_wildcard_array = indefinite

    _install_failure_threshold()
    _install_child_executions()
    _install_validate_definition()
    _install_execution_names()
    _install_context_times()

    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    original_parse = AmazonStateLanguageParser.parse
    if not getattr(original_parse, "_emulator", False):

        def parse(definition: str) -> Any:
            return original_parse(_percentages_as_decimals(definition))

        parse._emulator = True  # type: ignore[attr-defined]
        AmazonStateLanguageParser.parse = staticmethod(parse)  # type: ignore[method-assign]


def _percentages_as_decimals(definition: str) -> str:
    """DEFINITION with every integer ToleratedFailurePercentage written as a decimal."""
    if "ToleratedFailurePercentage" not in definition:
        return definition
    try:
        document = json.loads(definition)
    except ValueError:
        return definition  # moto's parser says what is wrong with it
    changed = False

    def walk(value: Any) -> None:
        nonlocal changed
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "ToleratedFailurePercentage" and isinstance(item, int) and not isinstance(item, bool):
                    value[key] = float(item)
                    changed = True
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    return json.dumps(document) if changed else definition


def aws_time(moment: datetime.datetime) -> str:
    """A time as Step Functions writes it in the context object: 2025-06-01T10:00:00.123Z."""
    utc = moment.astimezone(datetime.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class _AwsMoment(datetime.datetime):
    """``datetime.datetime.now()`` in moto's ``state.py``, whose ``isoformat()`` is AWS's form."""

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return aws_time(self)


def _install_context_times() -> None:
    from moto.stepfunctions.parser.asl.component.state import state as state_module
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    # $$.State.EnteredTime: state.py's only use of the datetime module.
    state_module.datetime = types.SimpleNamespace(datetime=_AwsMoment, timezone=datetime.timezone)  # type: ignore[attr-defined]

    original = ExecutionWorker._get_evaluation_environment
    if getattr(original, "_emulator", False):
        return

    def _get_evaluation_environment(self: Any) -> Any:
        env = original(self)
        execution = env.states.context_object.context_object_data["Execution"]
        if isinstance(execution.get("StartTime"), datetime.datetime):
            execution["StartTime"] = aws_time(execution["StartTime"])
        return env

    _get_evaluation_environment._emulator = True  # type: ignore[attr-defined]
    ExecutionWorker._get_evaluation_environment = _get_evaluation_environment  # type: ignore[method-assign]


def _install_execution_names() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution
    if getattr(original, "_emulator", False):
        return

    def start_execution(self: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    start_execution._emulator = True  # type: ignore[attr-defined]
    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]


def _install_validate_definition() -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    if hasattr(StepFunctionResponse, "validate_state_machine_definition"):
        return

    def validate_state_machine_definition(self: Any) -> Any:
        try:
            StepFunctionsParserBackend._validate_definition(definition=self._get_param("definition"))
        except Exception as exc:  # noqa: BLE001 - InvalidDefinition, or the parser's own error
            message = getattr(exc, "message", None) or str(exc)
            diagnostic = {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": message[:1000]}
            return ActionResult({"result": "FAIL", "diagnostics": [diagnostic], "truncated": False})
        return ActionResult({"result": "OK", "diagnostics": [], "truncated": False})

    def list_state_machine_versions(self: Any) -> Any:
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        versions = sorted(getattr(machine, "versions", {}).values(), key=lambda v: v.version, reverse=True)
        return ActionResult({"stateMachineVersions": [
            {"stateMachineVersionArn": v.arn, "creationDate": v.creation_date} for v in versions]})

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition  # type: ignore[attr-defined]
    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions  # type: ignore[attr-defined]


# -- the distributed Map's tolerated failure threshold -------------------------------------


def _install_failure_threshold() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor import (
        DistributedItemProcessor,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker import (
        DistributedItemProcessorWorker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iterator.distributed_iterator import (
        DistributedIterator,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iterator.distributed_iterator_worker import (
        DistributedIteratorWorker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.tolerated_failure import (
        ToleratedFailureCountDecl,
        ToleratedFailurePercentageDecl,
    )

    if getattr(StateMap.from_state_props, "_emulator", False):
        return

    original_from_state_props = StateMap.from_state_props

    def from_state_props(self: Any, state_props: Any) -> None:
        original_from_state_props(self, state_props)
        # Which thresholds the definition gives (moto fills both in with 0 when absent).
        self.iteration_component._emulator_thresholds = (
            state_props.get(ToleratedFailureCountDecl) is not None,
            state_props.get(ToleratedFailurePercentageDecl) is not None,
        )

    from_state_props._emulator = True  # type: ignore[attr-defined]
    StateMap.from_state_props = from_state_props  # type: ignore[method-assign]

    for component in (DistributedItemProcessor, DistributedIterator):
        component._create_worker = _wrap_create_worker(component.__dict__["_create_worker"])  # type: ignore[method-assign]
    for worker in (DistributedItemProcessorWorker, DistributedIteratorWorker):
        worker._eval_job = _wrap_eval_job(worker.__dict__["_eval_job"])  # type: ignore[method-assign]


def _wrap_create_worker(original: Callable[..., Any]) -> Callable[..., Any]:
    def _create_worker(self: Any, env: Any, eval_input: Any, job_pool: Any) -> Any:
        worker = original(self, env=env, eval_input=eval_input, job_pool=job_pool)
        worker._emulator_thresholds = getattr(self, "_emulator_thresholds", (False, False))
        return worker

    return _create_worker


def _wrap_eval_job(original: Callable[..., Any]) -> Callable[..., Any]:
    from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded, ProgramStopped

    def _eval_job(self: Any, env: Any, job: Any) -> None:
        original(self, env, job)
        if isinstance(job.job_output, Exception):
            return
        # moto's worker keeps a failed item's output as None and counts it as failed.
        if isinstance(env.program_state(), (ProgramEnded, ProgramStopped)):
            return
        record = self._map_run_record
        failed = record.item_counter.failed.get() + record.item_counter.timed_out.get()
        total = self._job_pool._jobs_number
        count_given, percentage_given = getattr(self, "_emulator_thresholds", (False, False))
        if not count_given and not percentage_given:
            exceeded = failed > 0
        else:
            exceeded = (count_given and failed > record.tolerated_failure_count) or (
                percentage_given and total > 0 and failed * 100.0 / total > record.tolerated_failure_percentage
            )
        if not exceeded:
            return
        error = StatesErrorNameType.StatesExceedToleratedFailureThreshold.to_name()
        log.info("distributed Map %s: %d of %d items failed: %s", self._work_name, failed, total, error)
        # The job pool keeps the first exception a job ends with, starts no more jobs and
        # fails the Map Run with it.
        job.job_output = FailureEventException(
            failure_event=FailureEvent(
                env=env,
                error_name=StatesErrorName(typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold),
                event_type=HistoryEventType.MapRunFailed,
                event_details=EventDetails(
                    mapRunFailedEventDetails=MapRunFailedEventDetails(error=error, cause=EXCEEDED_CAUSE)
                ),
            )
        )

    _eval_job.__name__ = "_eval_job"
    return _eval_job


# -- a distributed Map's child workflow executions -----------------------------------------

#: ListExecutions' page size: AWS's default, and its maximum.
PAGE_DEFAULT = 100
PAGE_MAX = 1000

_MAP_RUN_ARN = re.compile(r"arn:[\w-]+:states:[-0-9a-zA-Z]+:[0-9]{12}:mapRun:.+")


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(tz=datetime.timezone.utc)


class _Child:
    """One item of a Map Run as a child workflow execution (what ListExecutions and
    DescribeExecution answer about it)."""

    def __init__(self, map_run_record: Any, execution_input: str, sequence: int):
        self.name = str(uuid.uuid4())
        self.state_machine_arn: str = map_run_record.map_state_machine_arn
        self.arn = self.state_machine_arn.replace(":stateMachine:", ":execution:", 1) + ":" + self.name
        self.map_run_arn: str = map_run_record.map_run_arn
        self.input = execution_input
        self.sequence = sequence  # orders children that started in the same microsecond
        self.start_date = _utcnow()
        self.stop_date: datetime.datetime | None = None
        self.status = "RUNNING"
        self.output: str | None = None
        self.error: str | None = None
        self.cause: str | None = None

    def list_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"executionArn": self.arn, "stateMachineArn": self.state_machine_arn,
                                "name": self.name, "status": self.status, "startDate": self.start_date}
        if self.stop_date is not None:
            item["stopDate"] = self.stop_date
        item.update(mapRunArn=self.map_run_arn, itemCount=1)
        return item

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "executionArn": self.arn, "stateMachineArn": self.state_machine_arn, "name": self.name,
            "status": self.status, "startDate": self.start_date, "input": self.input,
            "inputDetails": {"included": True}, "mapRunArn": self.map_run_arn,
        }
        if self.stop_date is not None:
            described["stopDate"] = self.stop_date
        if self.output is not None:
            described["output"] = self.output
            described["outputDetails"] = {"included": True}
        if self.error is not None:
            described["error"] = self.error
        if self.cause is not None:
            described["cause"] = self.cause
        return described


class _ChildRegistry:
    """The child executions, by ARN and by Map Run: the items' worker threads add and end
    them while requests read them, all under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_arn: dict[str, _Child] = {}
        self.by_map_run: dict[str, list[_Child]] = {}
        self.sequence = 0

    def add(self, map_run_record: Any, execution_input: str, still_running: Callable[[], bool]) -> _Child | None:
        with self.lock:
            if not still_running():  # checked under the lock: see stop_executions()
                return None
            self.sequence += 1
            child = _Child(map_run_record, execution_input, self.sequence)
            self.by_arn[child.arn] = child
            self.by_map_run.setdefault(child.map_run_arn, []).append(child)
            return child

    def end(self, child: _Child, status: str, output: str | None = None, error: str | None = None,
            cause: str | None = None) -> None:
        with self.lock:
            child.output, child.error, child.cause = output, error, cause
            child.stop_date = _utcnow()
            child.status = status  # last: a reader that sees it ended sees the rest

    def get(self, arn: str) -> dict[str, Any] | None:
        with self.lock:
            child = self.by_arn.get(arn)
            return child.describe() if child is not None else None

    def of_map_run(self, map_run_arn: str, status: str | None) -> list[_Child] | None:
        """The Map Run's children (None: none ever started), newest start first."""
        with self.lock:
            children = self.by_map_run.get(map_run_arn)
            if children is None:
                return None
            chosen = [c for c in children if status is None or c.status == status]
            return sorted(chosen, key=lambda c: (c.start_date, c.sequence), reverse=True)

    def clear(self) -> None:
        with self.lock:
            self.by_arn.clear()
            self.by_map_run.clear()


_children = _ChildRegistry()


def _install_child_executions() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker import (
        DistributedItemProcessorWorker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iterator.distributed_iterator_worker import (
        DistributedIteratorWorker,
    )
    from moto.stepfunctions.responses import StepFunctionResponse

    if getattr(StepFunctionResponse.list_executions, "_emulator", False):
        return
    for worker in (DistributedItemProcessorWorker, DistributedIteratorWorker):
        worker._eval_input = _wrap_eval_input(worker._eval_input)  # type: ignore[method-assign]
        worker._eval_job = _wrap_eval_job_child(worker.__dict__["_eval_job"])  # type: ignore[method-assign]

    original_list = StepFunctionResponse.list_executions
    original_describe = StepFunctionResponse.describe_execution

    def list_executions(self: Any) -> Any:
        map_run_arn = self._get_param("mapRunArn")
        if map_run_arn is None:
            return original_list(self)
        return _list_children(self, map_run_arn)

    def describe_execution(self: Any) -> Any:
        from moto.core.responses import ActionResult

        described = _children.get(self._get_param("executionArn") or "")
        return ActionResult(described) if described is not None else original_describe(self)

    list_executions._emulator = True  # type: ignore[attr-defined]
    describe_execution._emulator = True  # type: ignore[attr-defined]
    StepFunctionResponse.list_executions = list_executions  # type: ignore[method-assign]
    StepFunctionResponse.describe_execution = describe_execution  # type: ignore[method-assign]


def _wrap_eval_input(original: Callable[..., Any]) -> Callable[..., Any]:
    """The item's input is known once ItemSelector (or Parameters) made it: the child starts."""
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    def _eval_input(self: Any, env_frame: Any) -> None:
        original(self, env_frame=env_frame)
        execution_input = to_json_str(env_frame.states.get_input(), separators=(",", ":"))
        env_frame._emulator_child = _children.add(
            self._map_run_record, execution_input,
            # The execution stopped (StopExecution, a reset): no new child.
            lambda: not isinstance(env_frame.program_state(), ProgramStopped))

    _eval_input.__name__ = "_eval_input"
    return _eval_input


def _wrap_eval_job_child(original: Callable[..., Any]) -> Callable[..., Any]:
    """The item's end is its child's: what its program state says (the job's output may be
    the failure threshold's exception, which is the Map Run's, not the item's)."""
    from moto.stepfunctions.parser.asl.eval.program_state import (
        ProgramEnded,
        ProgramError,
        ProgramStopped,
        ProgramTimedOut,
    )
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    def _eval_job(self: Any, env: Any, job: Any) -> None:
        try:
            original(self, env, job)
        finally:
            child = getattr(env, "_emulator_child", None)
            if child is not None:
                state = env.program_state()
                if isinstance(state, ProgramEnded):
                    _children.end(child, "SUCCEEDED",
                                  output=to_json_str(env.states.get_input(), separators=(",", ":")))
                elif isinstance(state, ProgramError):
                    details = state.error or {}
                    _children.end(child, "FAILED", error=details.get("error"), cause=details.get("cause"))
                elif isinstance(state, ProgramTimedOut):
                    _children.end(child, "TIMED_OUT")
                elif isinstance(state, ProgramStopped):
                    _children.end(child, "ABORTED", error=state.error or None, cause=state.cause or None)
                else:  # the worker failed outside the item's program (moto counts it failed)
                    _children.end(child, "FAILED", error="States.Runtime",
                                  cause="The item ended without a result")

    _eval_job.__name__ = "_eval_job"
    return _eval_job


def _map_run_exists(backend: Any, map_run_arn: str) -> bool:
    for machine in list(getattr(backend, "state_machines", [])):
        for execution in list(getattr(machine, "executions", [])):
            try:
                if execution.exec_worker.env.map_run_record_pool_manager.get(map_run_arn) is not None:
                    return True
            except AttributeError:  # not started, or no interpreter environment
                continue
    return False


def _list_children(response: Any, map_run_arn: str) -> Any:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.exceptions import InvalidArn, ResourceNotFound, ValidationException
    from moto.utilities.paginator import Paginator

    if response._get_param("stateMachineArn") is not None:
        raise ValidationException("Specify either a mapRunArn or a stateMachineArn, not both.")
    max_results = response._get_param("maxResults")
    if max_results is not None and not 0 <= int(max_results) <= PAGE_MAX:
        bound = "greater than or equal to 0" if int(max_results) < 0 else f"less than or equal to {PAGE_MAX}"
        raise ValidationException(f"1 validation error detected: Value '{max_results}' at 'maxResults' "
                                  f"failed to satisfy constraint: Member must have value {bound}")
    if not _MAP_RUN_ARN.fullmatch(map_run_arn):
        raise InvalidArn(f"Invalid Arn: '{map_run_arn}'")
    status = response._get_param("statusFilter")
    children = _children.of_map_run(map_run_arn, status)
    if children is None:
        if not _map_run_exists(response.stepfunction_backend, map_run_arn):
            raise ResourceNotFound(map_run_arn)
        children = []
    paginator = Paginator(max_results=int(max_results or 0) or PAGE_DEFAULT,  # 0: the default
                          starting_token=response._get_param("nextToken"), unique_attribute="arn",
                          param_values_to_check={"mapRunArn": map_run_arn, "statusFilter": status})
    page, next_token = paginator.paginate(children)
    with _children.lock:
        executions = [child.list_item() for child in page]
    result: dict[str, Any] = {"executions": executions}
    if next_token:
        result["nextToken"] = next_token
    return ActionResult(result)


# -- reset -----------------------------------------------------------------------------------


def stop_executions() -> None:
    """Stop every running execution (``/moto-api/reset``): its interpreter thread ends at its
    next state; a Lambda it is invoking is killed by the reset (``lambda_runtime.kill_all``)."""
    import datetime

    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    now = datetime.datetime.now(tz=datetime.timezone.utc)
    for account in list(stepfunctions_parser_backends.keys()):
        for region in list(stepfunctions_parser_backends[account].keys()):
            backend = stepfunctions_parser_backends[account][region]
            for machine in list(backend.state_machines):
                for execution in list(machine.executions):
                    worker = getattr(execution, "exec_worker", None)
                    if worker is not None and getattr(worker, "env", None) is not None:
                        try:
                            execution.stop(stop_date=now, error="Reset", cause="the emulator was reset")
                        except Exception:  # noqa: BLE001 - a reset must not fail on one execution
                            log.debug("stopping %s", getattr(execution, "exec_arn", "?"), exc_info=True)
    # After the stops: an item that starts from now on sees its execution stopped and
    # registers no child (`_ChildRegistry.add`), so none outlives the reset.
    _children.clear()
