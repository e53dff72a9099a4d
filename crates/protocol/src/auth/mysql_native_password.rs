//! `mysql_native_password`
//! ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_authentication_methods_native_password_authentication.html)).

use sha1::{Digest, Sha1};

/// `SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password)))`; empty for an empty password.
pub fn scramble(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let stage1 = Sha1::digest(password);
    let stage2 = Sha1::digest(stage1);
    let mut h = Sha1::new();
    h.update(nonce);
    h.update(stage2);
    let mix = h.finalize();
    stage1.iter().zip(mix.iter()).map(|(a, b)| a ^ b).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::auth::TEST_NONCE;

    #[test]
    fn matches_python_hashlib() {
        // python3 -c "import hashlib; pw=b'secret'; n=bytes(range(1,21)); s1=hashlib.sha1(pw).digest();
        //   print(bytes(a^b for a,b in zip(s1, hashlib.sha1(n+hashlib.sha1(s1).digest()).digest())).hex())"
        let want = "b32bb3a583e1340c0a1108d58b1be49781ad8c2f";
        assert_eq!(hex(&scramble(b"secret", &TEST_NONCE)), want);
    }

    #[test]
    fn empty_password_sends_nothing() {
        assert!(scramble(b"", &TEST_NONCE).is_empty());
    }

    pub(crate) fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
