//! `Test`: runs the real `ecs-migrate` binary with the AWS environment pointed at an emulator,
//! and checks its exit status, stdout and stderr.

use crate::emulator::Emulator;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Test {
    command: Command,
}

/// A clean AWS environment for a process under test: the emulator, fake credentials, no profile
/// files, no IMDS, and none of the developer's ECS_MIGRATE_* or AWS_* settings.
pub fn aws_environment(command: &mut Command, emulator: &Emulator) {
    for (key, _) in std::env::vars() {
        if key.starts_with("ECS_MIGRATE_") || key.starts_with("AWS_") {
            command.env_remove(key);
        }
    }
    command
        .env("AWS_ENDPOINT_URL", &emulator.url)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

impl Test {
    pub fn new(emulator: &Emulator) -> Test {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ecs-migrate"));
        aws_environment(&mut command, emulator);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        Test { command }
    }

    pub fn args<I, S>(mut self, args: I) -> Test
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn arg(mut self, arg: &str) -> Test {
        self.command.arg(arg);
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Test {
        self.command.env(key, value);
        self
    }

    /// Runs it on a pseudo-terminal (util-linux `script`), as at a person's terminal; what the
    /// terminal shows (stdout and stderr together) comes back as `stdout`.
    pub fn on_a_terminal(self) -> Test {
        let inner = self.command.as_std();
        let quote =
            |s: &std::ffi::OsStr| format!("'{}'", s.to_str().unwrap().replace('\'', r"'\''"));
        let line: Vec<String> = std::iter::once(inner.get_program())
            .chain(inner.get_args())
            .map(quote)
            .collect();
        let mut command = Command::new("script");
        command.args(["-q", "-e", "-c", &line.join(" "), "/dev/null"]);
        for (key, value) in inner.get_envs() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command
            .env("TERM", "xterm-256color")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        Test { command }
    }

    pub async fn run(mut self) -> Output {
        let out = self.command.output().await.expect("run ecs-migrate");
        Output {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn spawn(mut self) -> Running {
        let child = self.command.spawn().expect("spawn ecs-migrate");
        Running {
            child,
            stderr_seen: String::new(),
        }
    }
}

/// A binary still running, for signal tests.
pub struct Running {
    child: Child,
    stderr_seen: String,
}

impl Running {
    /// Reads stderr until a line containing `needle` appears.
    pub async fn wait_for_stderr(&mut self, needle: &str) -> String {
        let stderr = self.child.stderr.as_mut().expect("stderr piped");
        let mut reader = BufReader::new(stderr);
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(
                std::time::Duration::from_secs(60),
                reader.read_line(&mut line),
            )
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no `{needle}` on stderr in 60 s; so far:\n{}",
                    self.stderr_seen
                )
            })
            .expect("read stderr");
            assert!(
                n > 0,
                "stderr closed before `{needle}`; it said:\n{}",
                self.stderr_seen
            );
            self.stderr_seen.push_str(&line);
            if line.contains(needle) {
                return line;
            }
        }
    }

    #[track_caller]
    pub fn signal(&self, signal: i32) {
        let pid = self.child.id().expect("still running") as i32;
        assert_eq!(
            unsafe { libc::kill(pid, signal) },
            0,
            "kill({pid}, {signal})"
        );
    }

    pub async fn finish(mut self) -> Output {
        let mut stdout = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .await
            .unwrap();
        let mut rest = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut rest)
            .await
            .unwrap();
        let status = self.child.wait().await.unwrap();
        Output {
            status: status.code().unwrap_or(-1),
            stdout,
            stderr: self.stderr_seen + &rest,
        }
    }
}

#[derive(Debug)]
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Asserts the exit status, showing both streams when it is wrong.
    #[track_caller]
    pub fn status(&self, expected: i32) -> &Output {
        assert_eq!(
            self.status, expected,
            "exit status\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// stdout parsed as the one JSON document it must be.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|err| {
            panic!(
                "stdout is not one JSON document ({err}):\n{}\n--- stderr ---\n{}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Output {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks `{needle}`:\n{}",
            self.stderr
        );
        self
    }
}
