//! SIGINT and SIGTERM. The first one asks the core to stop the migration task and report
//! `interrupted`; a second one exits at once and prints the task ARN left running, so an operator
//! who really wants out is never held hostage by a slow StopTask.

use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

/// What a second signal must tell the operator: the task it leaves running, the services it
/// leaves paused.
#[derive(Debug, Default, Clone)]
pub struct Running(Arc<Mutex<Left>>);

#[derive(Debug, Default)]
struct Left {
    cluster: String,
    task: Option<String>,
    paused: Vec<String>,
}

impl Running {
    pub fn set_cluster(&self, cluster: &str) {
        self.0.lock().unwrap().cluster = cluster.to_owned();
    }

    pub fn set_task(&self, task_arn: &str) {
        self.0.lock().unwrap().task = Some(task_arn.to_owned());
    }

    pub fn paused(&self, service: &str) {
        self.0.lock().unwrap().paused.push(service.to_owned());
    }

    pub fn restored(&self, service: &str) {
        self.0.lock().unwrap().paused.retain(|s| s != service);
    }

    /// What is left behind, in words, with the commands that clean it up.
    pub fn left_behind(&self) -> String {
        let left = self.0.lock().unwrap();
        let mut text = match &left.task {
            Some(task) => format!(
                "Task {task} is left running; stop it with: aws ecs stop-task --cluster {} --task {task}",
                left.cluster
            ),
            None => "No migration task had been started yet (one started in this very moment is found and attached to by the next run).".to_owned(),
        };
        if !left.paused.is_empty() {
            let names: Vec<&str> = left.paused.iter().map(String::as_str).collect();
            text.push_str(&format!(
                " Services {} stay paused (their state is recorded on them); the next run restores them, or: {}",
                names.join(", "),
                ecs_migrate_core::restore_command(&left.cluster, &names)
            ));
        }
        text
    }
}

pub struct Signals {
    count: watch::Receiver<u32>,
}

impl Signals {
    /// Registers the handlers now, so a signal that arrives before anyone waits is not lost.
    /// `left_behind` says, at a second signal, what exiting at once leaves running or paused.
    pub fn install(left_behind: impl Fn() -> String + Send + 'static) -> std::io::Result<Signals> {
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let (tx, count) = watch::channel(0u32);
        tokio::spawn(async move {
            let mut seen = 0;
            loop {
                let name = tokio::select! {
                    _ = interrupt.recv() => "SIGINT",
                    _ = terminate.recv() => "SIGTERM",
                };
                seen += 1;
                if seen == 1 {
                    eprintln!(
                        "ecs-migrate: received {name}: stopping the migration task \
                         (send it again to exit at once and leave the task running)"
                    );
                    let _ = tx.send(seen);
                    continue;
                }
                eprintln!(
                    "ecs-migrate: received a second {name}: exiting now. {}",
                    left_behind()
                );
                std::process::exit(130);
            }
        });
        Ok(Signals { count })
    }

    /// Completes at the first signal (at once if it already came).
    pub fn shutdown(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut count = self.count.clone();
        async move {
            let _ = count.wait_for(|n| *n > 0).await;
        }
    }
}
