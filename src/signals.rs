//! SIGINT and SIGTERM. The first one asks the core to stop the migration task and report
//! `interrupted`; a second one exits at once and prints the task ARN left running, so an operator
//! who really wants out is never held hostage by a slow StopTask.

use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

/// What a second signal must tell the operator: the task it leaves running.
#[derive(Debug, Default, Clone)]
pub struct Running(Arc<Mutex<(String, Option<String>)>>);

impl Running {
    pub fn set_cluster(&self, cluster: &str) {
        self.0.lock().unwrap().0 = cluster.to_owned();
    }

    pub fn set_task(&self, task_arn: &str) {
        self.0.lock().unwrap().1 = Some(task_arn.to_owned());
    }

    fn get(&self) -> Option<(String, String)> {
        let guard = self.0.lock().unwrap();
        guard.1.clone().map(|task| (guard.0.clone(), task))
    }
}

pub struct Signals {
    count: watch::Receiver<u32>,
}

impl Signals {
    /// Registers the handlers now, so a signal that arrives before anyone waits is not lost.
    pub fn install(running: Running) -> std::io::Result<Signals> {
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
                match running.get() {
                    Some((cluster, task)) => eprintln!(
                        "ecs-migrate: received a second {name}: exiting now. Task {task} is left running; \
                         stop it with: aws ecs stop-task --cluster {cluster} --task {task}"
                    ),
                    None => eprintln!("ecs-migrate: received a second {name}: exiting now; no task was started"),
                }
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
