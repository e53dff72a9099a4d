//! One module per subcommand.

pub mod drill;
pub mod failover;
pub mod inspect;
pub mod login;
pub mod restore;
pub mod status;
pub mod stream;
pub mod verify;
