//! The `ecs-migrate` binary: a thin edge over `ecs-migrate-core`. See `run.rs`.

mod args;
mod render;
mod run;
mod signals;

fn main() -> std::process::ExitCode {
    run::main()
}
