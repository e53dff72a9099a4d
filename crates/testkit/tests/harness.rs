//! Exercises the test harness against real MariaDB servers (each test starts its own).

// clippy.toml allows these in #[test] functions only, not in this file's helpers
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Mutex;

use binvault_testkit::{cmp_files, workload, MariaDb, MariaDbConfig, TestCerts, UserAuth};

fn run(mut cmd: Command) -> Output {
    cmd.output().expect("run command")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn pid_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

#[test]
fn start_sql_stop() {
    let server = MariaDb::start(MariaDbConfig::default()).unwrap();
    eprintln!(
        "server started in {:?} on port {}",
        server.started_in(),
        server.port()
    );
    assert_ne!(server.port(), 3306);
    assert!(server.socket().as_os_str().len() < 100);
    assert!(server.dir().starts_with("/tmp"));
    assert_eq!(server.sql("SELECT 1 + 1").unwrap(), "2\n");
    let rows = server
        .sql_rows("SELECT 'a\tb', NULL, 3 UNION ALL SELECT 'line\nbreak', 'x\\\\y', 4")
        .unwrap();
    assert_eq!(
        rows,
        vec![vec!["a\tb", "NULL", "3"], vec!["line\nbreak", "x\\y", "4"]]
            .into_iter()
            .map(|r| r.into_iter().map(String::from).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    );
    // defaults from the script and from the harness
    let vars = server
        .sql_rows(
            "SELECT @@log_bin, @@binlog_format, @@server_id, @@innodb_buffer_pool_size, \
             @@performance_schema, @@port, @@bind_address, @@time_zone",
        )
        .unwrap();
    assert_eq!(
        vars[0],
        [
            "1",
            "ROW",
            "1",
            "33554432",
            "0",
            &server.port().to_string(),
            "127.0.0.1",
            "+00:00"
        ]
    );
    // errors carry the server's message
    let err = server
        .sql("SELECT * FROM no_such_db.t")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no_such_db"), "{err}");
    let (file, pos) = server.master_status().unwrap();
    assert_eq!(file, "mariadb-bin.000001");
    assert!(pos > 4);
    assert_eq!(
        server.binlog_files().unwrap(),
        vec![server.binlog_dir().join("mariadb-bin.000001")]
    );

    let dir = server.dir().to_path_buf();
    let pid = server.pid().unwrap();
    assert!(server.is_running());
    drop(server);
    assert!(!dir.exists(), "directory removed on drop");
    assert!(!pid_alive(pid), "server stopped on drop");
}

#[test]
fn dropped_on_panic() {
    let seen: Mutex<Option<(PathBuf, u32)>> = Mutex::new(None);
    let result = std::panic::catch_unwind(|| {
        let server = MariaDb::start(MariaDbConfig::default()).unwrap();
        *seen.lock().unwrap() = Some((server.dir().to_path_buf(), server.pid().unwrap()));
        panic!("test failure while the server runs");
    });
    assert!(result.is_err());
    let (dir, pid) = seen.lock().unwrap().clone().unwrap();
    assert!(!dir.exists());
    assert!(!pid_alive(pid));
}

#[test]
fn restart_keeps_data_and_binlogs() {
    let mut server = MariaDb::start(MariaDbConfig::new().server_id(11)).unwrap();
    server
        .sql("CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO d.t VALUES (1, 'one');")
        .unwrap();
    server.flush_binary_logs().unwrap();
    server.sql("INSERT INTO d.t VALUES (2, 'two')").unwrap();
    let gtid = server.gtid_binlog_pos().unwrap();
    assert_eq!(gtid, "0-11-4");
    let before = server.binlog_files().unwrap();
    assert_eq!(before.len(), 2);
    // the rotated file must not change any more
    let copy = tempfile::NamedTempFile::new().unwrap();
    std::fs::copy(&before[0], copy.path()).unwrap();
    let port = server.port();
    let old_pid = server.pid().unwrap();

    server.restart().unwrap();
    eprintln!("restarted in {:?}", server.started_in());
    assert_eq!(server.port(), port);
    assert_ne!(server.pid().unwrap(), old_pid);
    assert_eq!(
        server
            .sql("SELECT GROUP_CONCAT(v ORDER BY id) FROM d.t")
            .unwrap(),
        "one,two\n"
    );
    assert_eq!(server.gtid_binlog_pos().unwrap(), gtid);
    let after = server.binlog_files().unwrap();
    assert_eq!(after.len(), 3, "{after:?}");
    assert_eq!(&after[..2], &before[..]);
    assert!(after.iter().all(|f| f.is_file()));
    cmp_files(copy.path(), &before[0]).unwrap();
    assert_eq!(server.master_status().unwrap().0, "mariadb-bin.000003");

    // other options on restart: binlog without checksums from now on
    server
        .restart_with_args(vec!["--binlog-checksum=NONE".into()])
        .unwrap();
    assert_eq!(server.sql("SELECT @@binlog_checksum").unwrap(), "NONE\n");
    assert_eq!(server.binlog_files().unwrap().len(), 4);
}

#[test]
fn kill_and_start_again() {
    let mut server = MariaDb::start(MariaDbConfig::default()).unwrap();
    server
        .sql("CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY); INSERT INTO d.t VALUES (1), (2), (3);")
        .unwrap();
    let pid = server.pid().unwrap();
    server.kill().unwrap();
    assert!(!pid_alive(pid));
    assert!(!server.is_running());
    assert!(server.sql("SELECT 1").is_err());
    assert!(server.kill().is_err(), "nothing left to kill");

    server.start_again().unwrap();
    eprintln!(
        "started after a kill (crash recovery) in {:?}",
        server.started_in()
    );
    assert!(server.start_again().is_err(), "already running");
    assert_eq!(server.sql("SELECT COUNT(*) FROM d.t").unwrap(), "3\n");
    // the killed server's last binlog is kept, a new one is open
    let files = server.binlog_files().unwrap();
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(server.gtid_binlog_pos().unwrap(), "0-1-3");
}

#[test]
fn two_servers_in_parallel_same_workload_same_data() {
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| MariaDb::start(MariaDbConfig::new().server_id(1)).unwrap());
        let b = s.spawn(|| MariaDb::start(MariaDbConfig::new().server_id(2)).unwrap());
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_ne!(a.port(), b.port());
    assert_ne!(a.dir(), b.dir());
    assert_eq!(a.sql("SELECT @@server_id").unwrap(), "1\n");
    assert_eq!(b.sql("SELECT @@server_id").unwrap(), "2\n");
    std::thread::scope(|s| {
        s.spawn(|| workload::run(&a, 7, 60).unwrap());
        s.spawn(|| workload::run(&b, 7, 60).unwrap());
    });
    let sums_a = workload::checksums(&a, "bv_w7").unwrap();
    let sums_b = workload::checksums(&b, "bv_w7").unwrap();
    assert_eq!(
        sums_a.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        workload::TABLES
    );
    assert_eq!(sums_a, sums_b);
    assert_eq!(a.gtid_binlog_pos().unwrap().split('-').nth(1), Some("1"));
    assert_eq!(b.gtid_binlog_pos().unwrap().split('-').nth(1), Some("2"));
}

#[test]
fn tls_server_with_generated_certs() {
    let certs = TestCerts::generate().unwrap();
    let mut server = MariaDb::start(MariaDbConfig::new().tls(certs.clone())).unwrap();
    let ssl = server
        .sql_rows(
            "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('have_ssl', 'version_ssl_library')",
        )
        .unwrap();
    eprintln!("{ssl:?}");
    assert_eq!(ssl[0], ["have_ssl", "YES"]);
    server
        .create_user("tls_user", "tls-pw", UserAuth::NativePassword)
        .unwrap();
    server.sql("ALTER USER 'tls_user'@'%' REQUIRE SSL").unwrap();

    let client = |server: &MariaDb, ca: &PathBuf| {
        let mut cmd = server.tcp_client("tls_user", Some("tls-pw"));
        cmd.arg("--ssl")
            .arg(format!("--ssl-ca={}", ca.display()))
            .arg("--ssl-verify-server-cert")
            .arg("-e")
            .arg("SHOW STATUS LIKE 'Ssl_cipher'; SHOW STATUS LIKE 'Ssl_version'");
        run(cmd)
    };
    // the generated CA verifies the server (chain and the 127.0.0.1 IP SAN)
    let out = client(&server, &certs.ca_pem);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    eprintln!("{text}");
    let cipher = text
        .lines()
        .next()
        .unwrap()
        .split('\t')
        .nth(1)
        .unwrap_or("");
    assert!(!cipher.is_empty(), "{text}");
    // an unrelated CA does not
    let out = client(&server, &certs.other_ca_pem);
    assert!(
        !out.status.success(),
        "verification against an unrelated CA must fail"
    );
    eprintln!("unrelated CA: {}", stderr(&out).trim());
    // without TLS the user is refused (REQUIRE SSL)
    let mut cmd = server.tcp_client("tls_user", Some("tls-pw"));
    cmd.arg("--skip-ssl").arg("-e").arg("SELECT 1");
    assert!(!run(cmd).status.success());

    // a certificate for another name: the chain verifies, the host name does not
    let wrong = TestCerts::generate_for(&["wrong.example"]).unwrap();
    server
        .restart_with_args(vec![
            format!("--ssl-cert={}", wrong.server_cert.display()),
            format!("--ssl-key={}", wrong.server_key.display()),
            format!("--ssl-ca={}", wrong.ca_pem.display()),
        ])
        .unwrap();
    let out = client(&server, &wrong.ca_pem);
    assert!(
        !out.status.success(),
        "host name mismatch must fail: {}",
        stdout(&out)
    );
    eprintln!("wrong.example: {}", stderr(&out).trim());
    let mut cmd = server.tcp_client("tls_user", Some("tls-pw"));
    cmd.arg("--ssl")
        .arg(format!("--ssl-ca={}", wrong.ca_pem.display()))
        .arg("-e")
        .arg("SELECT 1");
    let out = run(cmd);
    assert!(
        out.status.success(),
        "without host name verification it connects: {}",
        stderr(&out)
    );
}

#[test]
fn ed25519_and_native_users_over_tcp() {
    let server = MariaDb::start(MariaDbConfig::default()).unwrap();
    server
        .create_user("ed", "ed-secret", UserAuth::Ed25519)
        .unwrap();
    server
        .create_user("nat", "nat-secret", UserAuth::NativePassword)
        .unwrap();
    server
        .create_user_with_grants(
            "limited",
            "pw",
            UserAuth::NativePassword,
            "REPLICATION SLAVE ON *.*",
        )
        .unwrap();
    let plugins = server
        .sql_rows("SELECT user, plugin FROM mysql.user WHERE user IN ('ed', 'nat', 'limited') ORDER BY user")
        .unwrap();
    assert_eq!(
        plugins,
        vec![
            vec!["ed".to_string(), "ed25519".to_string()],
            vec!["limited".to_string(), "mysql_native_password".to_string()],
            vec!["nat".to_string(), "mysql_native_password".to_string()],
        ]
    );
    // users are not in the binlog
    assert_eq!(server.gtid_binlog_pos().unwrap(), "");

    for (user, pw) in [("ed", "ed-secret"), ("nat", "nat-secret")] {
        let mut cmd = server.tcp_client(user, Some(pw));
        cmd.arg("-e")
            .arg("SELECT CURRENT_USER(); SHOW MASTER STATUS; SELECT COUNT(*) FROM mysql.db");
        let out = run(cmd);
        assert!(out.status.success(), "{user}: {}", stderr(&out));
        assert!(
            stdout(&out).starts_with(&format!("{user}@%\nmariadb-bin.000001\t")),
            "{}",
            stdout(&out)
        );

        let mut cmd = server.tcp_client(user, Some("wrong"));
        cmd.arg("-e").arg("SELECT 1");
        let out = run(cmd);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("Access denied"), "{}", stderr(&out));
    }
    // the limited user may stream binlogs but not read tables or SHOW MASTER STATUS
    let mut cmd = server.tcp_client("limited", Some("pw"));
    cmd.arg("-e").arg("SHOW MASTER STATUS");
    assert!(!run(cmd).status.success());
}

#[test]
fn workload_produces_binlog_rows() {
    let server = MariaDb::start(MariaDbConfig::new().arg("--binlog-row-metadata=FULL")).unwrap();
    let t0 = std::time::Instant::now();
    let w = workload::Workload {
        flush_binary_logs_every: Some(100),
        ..workload::Workload::new(42, 300)
    };
    w.run(&server).unwrap();
    eprintln!("workload of 300 units in {:?}", t0.elapsed());
    assert_eq!(
        server
            .sql("SELECT LENGTH(data), tag FROM bv_w42.blobs WHERE id = 1")
            .unwrap(),
        "1048576\tupdated\n"
    );
    for table in workload::TABLES {
        let n = server
            .sql(&format!("SELECT COUNT(*) FROM bv_w42.{table}"))
            .unwrap();
        eprintln!("{table}: {}", n.trim());
    }
    let files = server.binlog_files().unwrap();
    assert_eq!(files.len(), 3, "{files:?}");
    let total: u64 = files.iter().map(|f| f.metadata().unwrap().len()).sum();
    assert!(
        total > 3 << 20,
        "1 MiB inserted and updated (before and after image): {total} bytes"
    );

    let mut cmd = Command::new("mariadb-binlog");
    cmd.arg("--no-defaults")
        .arg("--verbose")
        .arg("--base64-output=DECODE-ROWS")
        .args(&files);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for needle in [
        "### INSERT INTO `bv_w42`.`accounts`",
        "### UPDATE `bv_w42`.`accounts`",
        "### DELETE FROM `bv_w42`.`events`",
        "### INSERT INTO `bv_w42`.`types`",
        "### UPDATE `bv_w42`.`blobs`",
        "### INSERT INTO `bv_w42`.`aria_log`",
        "### INSERT INTO `bv_w42`.`nopk`",
        "ALTER TABLE accounts ADD COLUMN",
        "TRUNCATE TABLE nopk",
        "Xid = ",
    ] {
        assert!(text.contains(needle), "binlog lacks {needle}");
    }
    assert!(
        !text.contains("9000000"),
        "rolled-back rows must not be in the binlog"
    );
}

/// Run by `watchdog_cleans_up_after_a_killed_test_process` and `keep_env_keeps_the_directory`
/// in a child process (does nothing unless BINVAULT_TESTKIT_HELPER is set).
#[test]
#[ignore = "helper run in a child process"]
fn helper_child_process() {
    let Ok(mode) = std::env::var("BINVAULT_TESTKIT_HELPER") else {
        return;
    };
    let server = MariaDb::start(MariaDbConfig::default()).unwrap();
    println!(
        "DIR={} PID={}",
        server.dir().display(),
        server.pid().unwrap()
    );
    match mode.as_str() {
        // until the parent kills us; bounded, in case the parent dies first
        "hang" => std::thread::sleep(std::time::Duration::from_secs(120)),
        _ => drop(server),
    }
}

fn spawn_helper(mode: &str, extra_env: &[(&str, &str)]) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        "helper_child_process",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("BINVAULT_TESTKIT_HELPER", mode)
    .stdout(std::process::Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// Reads the helper's `DIR=.. PID=..` line (libtest prints it after `test name ... `).
fn helper_server(child: &mut std::process::Child) -> (PathBuf, u32) {
    use std::io::BufRead;
    let out = child.stdout.take().unwrap();
    let mut seen = String::new();
    let mut lines = std::io::BufReader::new(out).lines();
    while let Some(line) = lines.next() {
        let line = line.unwrap();
        if let Some(at) = line.find("DIR=") {
            let (dir, pid) = line[at + 4..].split_once(" PID=").unwrap();
            // keep draining, or the child's next println fails on a closed pipe
            std::thread::spawn(move || lines.for_each(drop));
            return (PathBuf::from(dir), pid.trim().parse().unwrap());
        }
        seen.push_str(&line);
        seen.push('\n');
    }
    let _ = child.kill();
    panic!("helper printed no DIR line:\n{seen}");
}

fn wait_for(what: &str, timeout_s: u64, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(timeout_s);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn watchdog_cleans_up_after_a_killed_test_process() {
    let mut child = spawn_helper("hang", &[]);
    let (dir, pid) = helper_server(&mut child);
    assert!(dir.exists() && pid_alive(pid));
    child.kill().unwrap(); // SIGKILL: no Drop runs
    child.wait().unwrap();
    wait_for("the watchdog to stop the server", 30, || !pid_alive(pid));
    wait_for("the watchdog to remove the directory", 30, || !dir.exists());
}

#[test]
fn keep_env_keeps_the_directory() {
    let mut child = spawn_helper("drop", &[(binvault_testkit::KEEP_ENV, "1")]);
    let (dir, pid) = helper_server(&mut child);
    assert!(child.wait().unwrap().success());
    assert!(!pid_alive(pid), "stopped");
    assert!(
        dir.join("binlog/mariadb-bin.000001").is_file(),
        "kept: {}",
        dir.display()
    );
    // the watchdog must not remove a kept directory either
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(dir.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
