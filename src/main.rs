//! The `ecs-migrate` binary: a thin edge over `ecs-migrate-core`. See `run.rs`.

mod args;
mod lambda_package;
mod manual;
mod render;
mod rollout;
mod rollout_sfn;
mod run;
mod signals;

fn main() -> std::process::ExitCode {
    // One binary, two faces: in a Lambda package it is the function's `bootstrap`.
    if ecs_migrate_lambda::started_as_function() {
        return ecs_migrate_lambda::main();
    }
    run::main()
}
