//! Free loopback ports.

use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};

use anyhow::bail;

/// The range [`free_port`] picks from (the same as `mariadb-test-server.sh free-port`).
const FIRST: u16 = 33100;
const LAST: u16 = 33999;

/// Ports handed out by this process, never handed out twice (so that parallel tests in one
/// process cannot race for the same port between `free_port` and the server's `bind`).
fn reserved() -> &'static Mutex<HashSet<u16>> {
    static RESERVED: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    RESERVED.get_or_init(|| Mutex::new(HashSet::new()))
}

/// Returns an unused TCP port on 127.0.0.1 in 33100..=33999, never 3306.
///
/// The search starts at a random offset (so that parallel test processes rarely collide), skips
/// ports this process has already handed out (each port is reserved for the life of the process)
/// and tests each candidate by binding a listener on `127.0.0.1` (which also fails when something
/// listens on the wildcard address). A port can still be taken by another process before the
/// server binds it: [`MariaDb::start`](crate::MariaDb::start) retries with a new port then.
pub fn free_port() -> anyhow::Result<u16> {
    let span = u32::from(LAST - FIRST) + 1;
    let mut h = RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    let offset = (h.finish() % u64::from(span)) as u32;
    let mut reserved = reserved()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for i in 0..span {
        let port = FIRST + ((offset + i) % span) as u16;
        if port == 3306 || reserved.contains(&port) {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            reserved.insert(port);
            return Ok(port);
        }
    }
    bail!("no free loopback port in {FIRST}..={LAST}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_unique_and_never_3306() {
        let ports: Vec<u16> = (0..50).map(|_| free_port().unwrap()).collect();
        let set: HashSet<u16> = ports.iter().copied().collect();
        assert_eq!(set.len(), ports.len());
        assert!(ports
            .iter()
            .all(|&p| p != 3306 && (FIRST..=LAST).contains(&p)));
    }
}
