//! One module per subcommand.

pub mod drill;
pub mod failover;
pub mod inspect;
pub mod login;
pub mod restore;
pub mod status;
pub mod stream;
pub mod verify;

/// `--format` of the commands that print for people or as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// JSON (the command's help says its shape).
    Json,
}
