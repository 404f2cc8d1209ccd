//! One emulator process per test, on a free port, killed when the test ends.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Creates or updates `.venv` (moto and friends) once per test process.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let status = Command::new("bash")
            .arg(repo_root().join("scripts/emulator-venv"))
            .current_dir(repo_root())
            .stdout(Stdio::null())
            .status()
            .expect("run scripts/emulator-venv");
        assert!(status.success(), "scripts/emulator-venv failed: {status}");
        repo_root().join(".venv/bin/python")
    })
}

/// The strict-mode settings every integration test runs under (see emulator/README.md, "Strict
/// mode"): a new task is MISSING from DescribeTasks and ListTasks for half a second, CloudWatch
/// shows a line 300 ms after it was put and answers one read in ten with an empty page before
/// the end. RunTask's ConflictException and ECS's tag limits are on by default. (A stale
/// `desiredCount` after UpdateService is left to the fault suite: these tests read counts
/// right after a run.)
pub const REALISTIC: &str =
    r#"{"describe_lag_seconds": 0.5, "log_lag_ms": 300, "log_empty_page_rate": 0.1, "seed": 1}"#;

pub struct Emulator {
    child: Child,
    pub url: String,
    /// Working directory of the task processes, and where the emulator's log goes.
    pub dir: tempfile::TempDir,
}

impl Emulator {
    pub fn start() -> Emulator {
        Emulator::start_with(&[])
    }

    /// Starts an emulator with `env`. Unless `env` sets `ECS_EMULATOR_CONFIG`, its strict mode
    /// runs with [`REALISTIC`]: every integration test holds under AWS's imperfections, not
    /// only under an emulator that answers at once.
    pub fn start_with(env: &[(&str, &str)]) -> Emulator {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = std::fs::File::create(dir.path().join("emulator.log")).expect("log file");
        let mut child = Command::new(python())
            .arg(repo_root().join("emulator/ecs_emulator.py"))
            .args(["--host", "127.0.0.1", "--port", "0"])
            .current_dir(dir.path())
            .env("ECS_EMULATOR_CONFIG", REALISTIC)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start the emulator");
        let stdout = child.stdout.take().expect("emulator stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let ready = lines.find_map(|line| {
                line.ok()?
                    .strip_prefix("ECS_EMULATOR_READY ")
                    .map(str::to_owned)
            });
            let _ = tx.send(ready);
            for _ in lines {} // keep the pipe drained
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Some(url)) => url,
            _ => {
                let _ = child.kill();
                let log =
                    std::fs::read_to_string(dir.path().join("emulator.log")).unwrap_or_default();
                panic!("the emulator did not become ready; its log:\n{log}");
            }
        };
        Emulator { child, url, dir }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("emulator.log")).unwrap_or_default()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- emulator log (last 40 lines) ---");
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
