//! One module per subcommand.

pub mod failover;
pub mod inspect;
pub mod status;
pub mod stream;
pub mod verify;
