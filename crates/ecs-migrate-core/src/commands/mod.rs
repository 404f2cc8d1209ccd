//! The core of the subcommands beside `run`: `history` (the recorded outcomes of a family);
//! `restore` and `unlock` live with the pause they undo (`pause/`).

pub mod history;
