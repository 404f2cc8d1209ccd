//! A fake AWS Lambda Runtime API (the protocol `bootstrap` speaks in a real Lambda), to run the
//! real `bootstrap` binary: it serves queued invocations from `GET /invocation/next` (with
//! `Lambda-Runtime-Deadline-Ms`) and records what the function posts to `/response` and
//! `/error`. With no invocation left, `next` is left unanswered, as Lambda does between
//! invocations.

use crate::emulator::Emulator;
use crate::test::aws_environment;
use serde_json::Value;
use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::process::{Child, Command};

const PREFIX: &str = "/2018-06-01/runtime";

/// What the function posted for one invocation.
#[derive(Debug, Clone)]
pub enum Posted {
    Response {
        id: String,
        body: Value,
    },
    Error {
        id: String,
        /// `{"errorType": …, "errorMessage": …}`.
        body: Value,
    },
    InitError {
        body: Value,
    },
}

impl Posted {
    pub fn error_type(&self) -> Option<&str> {
        match self {
            Posted::Error { body, .. } | Posted::InitError { body } => body["errorType"].as_str(),
            Posted::Response { .. } => None,
        }
    }

    pub fn error_message(&self) -> &str {
        match self {
            Posted::Error { body, .. } | Posted::InitError { body } => {
                body["errorMessage"].as_str().unwrap_or_default()
            }
            Posted::Response { .. } => "",
        }
    }
}

struct Invocation {
    id: String,
    deadline_ms: u128,
    payload: Value,
}

pub struct RuntimeApi {
    address: String,
    queue: Arc<Mutex<VecDeque<Invocation>>>,
    posted: Receiver<Posted>,
    next_id: usize,
}

impl RuntimeApi {
    pub fn start() -> RuntimeApi {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind the fake Runtime API");
        let address = server
            .server_addr()
            .to_ip()
            .expect("an IP address")
            .to_string();
        let queue: Arc<Mutex<VecDeque<Invocation>>> = Arc::default();
        let (tx, posted) = channel();
        let served = queue.clone();
        std::thread::spawn(move || serve(server, served, tx));
        RuntimeApi {
            address,
            queue,
            posted,
            next_id: 0,
        }
    }

    /// Queues an invocation whose deadline is `time_left` from now; returns its request id.
    pub fn invoke(&mut self, payload: Value, time_left: Duration) -> String {
        self.next_id += 1;
        let id = format!("request-{}", self.next_id);
        let deadline_ms = (SystemTime::now() + time_left)
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis();
        self.queue.lock().unwrap().push_back(Invocation {
            id: id.clone(),
            deadline_ms,
            payload,
        });
        id
    }

    /// The next thing the function posted. `within` only guards against a hang.
    pub fn posted(&self, within: Duration) -> Posted {
        self.posted
            .recv_timeout(within)
            .expect("the function posted nothing to the Runtime API in time")
    }

    /// Starts the function against this Runtime API, with the AWS environment of `emulator`:
    /// the `ecs-migrate` binary under the name it has in the Lambda package, `bootstrap`.
    pub fn start_function(&self, emulator: &Emulator) -> Child {
        self.start_function_as(emulator, Some("bootstrap"))
    }

    /// [`Self::start_function`] with another argv[0] (`None`: the binary's own path).
    pub fn start_function_as(&self, emulator: &Emulator, arg0: Option<&str>) -> Child {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ecs-migrate"));
        if let Some(arg0) = arg0 {
            command.arg0(arg0);
        }
        aws_environment(&mut command, emulator);
        command
            .env("AWS_LAMBDA_RUNTIME_API", &self.address)
            .env("AWS_LAMBDA_FUNCTION_NAME", "omni-acme-migrator")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                "/aws/lambda/omni-acme-migrator",
            )
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        command.spawn().expect("start bootstrap")
    }
}

fn serve(
    server: tiny_http::Server,
    queue: Arc<Mutex<VecDeque<Invocation>>>,
    posted: Sender<Posted>,
) {
    // `next` requests waiting for an invocation, answered as invocations are queued.
    let mut waiting: Vec<tiny_http::Request> = Vec::new();
    loop {
        if let Some(request) = waiting.pop() {
            match queue.lock().unwrap().pop_front() {
                Some(invocation) => answer_next(request, invocation),
                None => waiting.push(request),
            }
        }
        let request = match server.recv_timeout(Duration::from_millis(20)) {
            Ok(Some(request)) => request,
            Ok(None) => continue,
            Err(_) => return,
        };
        let path = request.url().to_owned();
        let Some(rest) = path.strip_prefix(PREFIX) else {
            let _ = request.respond(tiny_http::Response::empty(404));
            continue;
        };
        if rest == "/invocation/next" {
            waiting.insert(0, request);
            continue;
        }
        let mut request = request;
        let mut text = String::new();
        let _ = request.as_reader().read_to_string(&mut text);
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        let event = match parts.as_slice() {
            ["invocation", id, "response"] => Posted::Response {
                id: (*id).to_owned(),
                body,
            },
            ["invocation", id, "error"] => Posted::Error {
                id: (*id).to_owned(),
                body,
            },
            ["init", "error"] => Posted::InitError { body },
            _ => {
                let _ = request.respond(tiny_http::Response::empty(404));
                continue;
            }
        };
        let _ = request.respond(tiny_http::Response::empty(202));
        let _ = posted.send(event);
    }
}

fn answer_next(request: tiny_http::Request, invocation: Invocation) {
    let header = |name: &str, value: &str| {
        tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap()
    };
    let response = tiny_http::Response::from_string(invocation.payload.to_string())
        .with_header(header("Content-Type", "application/json"))
        .with_header(header("Lambda-Runtime-Aws-Request-Id", &invocation.id))
        .with_header(header(
            "Lambda-Runtime-Deadline-Ms",
            &invocation.deadline_ms.to_string(),
        ))
        .with_header(header(
            "Lambda-Runtime-Invoked-Function-Arn",
            "arn:aws:lambda:us-east-1:123456789012:function:omni-acme-migrator",
        ))
        .with_header(header(
            "Lambda-Runtime-Trace-Id",
            "Root=1-00000000-000000000000000000000000",
        ));
    let _ = request.respond(response);
}
