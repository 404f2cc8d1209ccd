//! Orchestration tests: the real core against SDK-level fakes (aws-smithy-mocks) with paused tokio
//! time, for what the emulator cannot make happen on demand: MISSING after RunTask, throttling,
//! permission errors mid-run, the polling cadence, Fargate's teardown. `fake/` holds the named
//! fakes; each other file is one part of a run.

mod fake;

mod launch;
mod lock;
mod logs;
mod pause;
mod step_functions;
mod teardown;
mod watch;
