//! `ecs-migrate completions SHELL` and `ecs-migrate man`: generated from the clap definition in
//! `args.rs`, so they never drift from the flags.

use crate::args::Cli;
use clap::CommandFactory;
use std::io::Write;

pub fn completions(shell: clap_complete::Shell) -> i32 {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "ecs-migrate", &mut std::io::stdout());
    0
}

/// The manual page of `ecs-migrate` with a section for each subcommand.
pub fn man() -> i32 {
    let command = Cli::command();
    let mut page = Vec::new();
    let written = clap_mangen::Man::new(command.clone())
        .render(&mut page)
        .and_then(|()| {
            for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
                let name = format!("ecs-migrate-{}", sub.get_name());
                let sub = sub.clone().name(name.clone()).bin_name(name);
                clap_mangen::Man::new(sub).render(&mut page)?;
            }
            Ok(())
        })
        .and_then(|()| std::io::stdout().write_all(&page));
    match written {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("ecs-migrate: error: cannot write the manual page: {err}");
            1
        }
    }
}
