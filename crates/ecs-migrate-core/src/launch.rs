//! Launch: the one RunTask call. Placement failures (`failures[]`, or no task at all) are a verdict,
//! not an error: the migration did not run.

use crate::report::RunTaskFailure;
use crate::{Error, Plan};
use aws_sdk_ecs::Client;

pub(crate) enum Launch {
    Started { task_arn: String },
    Refused(Vec<RunTaskFailure>),
}

pub(crate) async fn launch(ecs: &Client, plan: &Plan) -> Result<Launch, Error> {
    // The SDK fills `clientToken` once per call, so its own retries of a lost response cannot
    // start a second task.
    let out = plan
        .run_task
        .apply(ecs.run_task())
        .send()
        .await
        .map_err(|err| Error::aws("RunTask", Some(&plan.cluster), None, err))?;
    let failures: Vec<RunTaskFailure> = out
        .failures()
        .iter()
        .map(|f| RunTaskFailure {
            arn: f.arn().map(str::to_owned),
            reason: f.reason().map(str::to_owned),
            detail: f.detail().map(str::to_owned),
        })
        .collect();
    match out.tasks().first().and_then(|t| t.task_arn()) {
        Some(task_arn) => Ok(Launch::Started {
            task_arn: task_arn.to_owned(),
        }),
        _ => Ok(Launch::Refused(failures)),
    }
}
