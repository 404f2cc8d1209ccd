//! The core of the subcommands beside `run`, one file each: `history` (the recorded outcomes of
//! a family), `restore` (services a run left paused), `unlock` (a dead run's lock).

pub mod history;
pub(crate) mod restore;
pub(crate) mod unlock;
