//! The targets file: `{"defaults": {…}, "targets": [{"name": "acme", …}, …]}`. Every key but
//! `name` is a run setting in snake_case ([`Settings`]); a target's keys win over `defaults`,
//! which win over the caller's own settings (the CLI's flags). Each target becomes a
//! [`Request`] here, with no AWS call; every problem of every target is reported at once, by
//! target name and key.

use crate::request::settings::{key, Connection, Settings};
use crate::{Error, Request};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// One target of a rollout, ready to resolve.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub request: Request,
    pub connection: Connection,
}

/// The targets of `document` (a targets file's JSON), their settings laid over `defaults`
/// over `base`.
pub fn parse(document: &Value, base: &Settings) -> Result<Vec<Target>, Error> {
    let file = |reason: String| Error::InvalidTargetsFile { reason };
    let Some(top) = document.as_object() else {
        return Err(file(
            "it must be a JSON object: {\"defaults\": {…}, \"targets\": [{\"name\": \"acme\", …}]}"
                .into(),
        ));
    };
    if let Some(unknown) = top.keys().find(|k| *k != "defaults" && *k != "targets") {
        return Err(file(format!(
            "unknown key `{unknown}` at the top; the keys are `defaults` and `targets`"
        )));
    }
    let defaults = match top.get("defaults") {
        None | Some(Value::Null) => Settings::default(),
        Some(value) => settings(value)
            .map_err(|(key, reason)| file(format!("`defaults`: {}{reason}", key_prefix(&key))))?,
    };
    let under = defaults.over(base);
    let Some(entries) = top.get("targets").and_then(Value::as_array) else {
        return Err(file(
            "`targets` is missing or not a list: give [{\"name\": \"acme\", …}, …]".into(),
        ));
    };
    if entries.is_empty() {
        return Err(file("`targets` is empty: give at least one target".into()));
    }
    let mut targets = Vec::with_capacity(entries.len());
    let mut problems = Vec::new();
    let mut names = HashSet::new();
    for (index, entry) in entries.iter().enumerate() {
        match target(index, entry, &under, &mut names) {
            Ok(target) => targets.push(target),
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(targets)
    } else {
        Err(Error::InvalidTargets {
            total: entries.len(),
            problems,
        })
    }
}

fn target(
    index: usize,
    entry: &Value,
    under: &Settings,
    names: &mut HashSet<String>,
) -> Result<Target, Error> {
    let problem =
        |target: String, key: Option<&'static str>, reason: String| Error::InvalidTarget {
            target,
            key,
            cause: Box::new(Error::InvalidTargetsFile { reason }),
        };
    let unnamed = format!("#{}", index + 1);
    let Some(fields) = entry.as_object() else {
        return Err(problem(
            unnamed,
            None,
            "a target must be a JSON object".into(),
        ));
    };
    let name = match fields.get("name") {
        Some(Value::String(name)) if !name.trim().is_empty() => name.trim().to_owned(),
        _ => {
            return Err(problem(
                unnamed,
                Some("name"),
                "every target needs a `name`, a non-empty string unique in the file".into(),
            ))
        }
    };
    if !names.insert(name.clone()) {
        return Err(problem(
            name,
            Some("name"),
            "another target has this name; names must be unique".into(),
        ));
    }
    let rest: Map<String, Value> = fields
        .iter()
        .filter(|(k, _)| *k != "name")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let own = settings(&Value::Object(rest)).map_err(|(key, reason)| Error::InvalidTarget {
        target: name.clone(),
        key: None,
        cause: Box::new(Error::InvalidTargetsFile {
            reason: format!("{}{reason}", key_prefix(&key)),
        }),
    })?;
    let (request, connection) =
        own.over(under)
            .request()
            .map_err(|cause| Error::InvalidTarget {
                target: name.clone(),
                key: cause.fields().first().copied().map(key),
                cause: Box::new(cause),
            })?;
    Ok(Target {
        name,
        request,
        connection,
    })
}

/// The settings of one JSON object, or the key that is wrong and why.
fn settings(value: &Value) -> Result<Settings, (String, String)> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let key = err.path().to_string();
        (key, err.into_inner().to_string())
    })
}

fn key_prefix(key: &str) -> String {
    if key.is_empty() || key == "." {
        String::new()
    } else {
        format!("key `{key}`: ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Settings {
        Settings {
            cluster: Some("prod".into()),
            ..Settings::default()
        }
    }

    #[test]
    fn targets_lay_their_keys_over_the_defaults_over_the_flags() {
        let doc = json!({
            "defaults": {"task_definition": "app:9", "timeout": "10m"},
            "targets": [
                {"name": "acme", "services": ["acme-web"]},
                {"name": "globex", "cluster": "eu", "timeout": 60, "env": {"TENANT": "globex"}}
            ]
        });
        let targets = parse(&doc, &base()).unwrap();
        assert_eq!(targets[0].name, "acme");
        assert_eq!(targets[0].request.cluster, "prod");
        assert_eq!(targets[0].request.services, ["acme-web"]);
        assert_eq!(targets[0].request.timeout, "10m".parse().unwrap());
        assert_eq!(targets[1].request.cluster, "eu");
        assert_eq!(targets[1].request.timeout, "60s".parse().unwrap());
        assert_eq!(
            targets[1]
                .request
                .task_definition
                .as_ref()
                .unwrap()
                .to_string(),
            "app:9"
        );
    }

    #[test]
    fn every_bad_target_is_named_with_its_key_and_nothing_else_is_returned() {
        let doc = json!({"targets": [
            {"name": "ok", "task_definition": "app"},
            {"name": "typo", "task_definition": "app", "service": ["web"]},
            {"name": "late", "task_definition": "app", "timeout": "soon"},
            {"name": "ok", "task_definition": "app"},
            {"task_definition": "app"},
            {"name": "nowhere", "task_definition": "app", "cluster": ""}
        ]});
        let Err(Error::InvalidTargets { total, problems }) = parse(&doc, &base()) else {
            panic!("expected InvalidTargets");
        };
        assert_eq!(total, 6);
        let text: Vec<String> = problems.iter().map(Error::to_string).collect();
        assert_eq!(problems.len(), 5, "{text:#?}");
        assert!(
            text[0].starts_with("target `typo`") && text[0].contains("unknown field `service`"),
            "{}",
            text[0]
        );
        assert!(
            text[1].starts_with("target `late`") && text[1].contains("key `timeout`"),
            "{}",
            text[1]
        );
        assert!(
            text[2].starts_with("target `ok`, key `name`") && text[2].contains("unique"),
            "{}",
            text[2]
        );
        assert!(
            text[3].starts_with("target `#5`, key `name`"),
            "{}",
            text[3]
        );
        assert!(
            text[4].starts_with("target `nowhere`, key `cluster`"),
            "{}",
            text[4]
        );
        assert!(problems
            .iter()
            .all(|p| p.code() == crate::EXIT_INVALID_INPUT));
    }

    #[test]
    fn a_file_that_is_not_a_targets_file_is_refused_saying_what_one_looks_like() {
        for doc in [
            json!([]),
            json!({"targets": []}),
            json!({"target": []}),
            json!({}),
        ] {
            let err = parse(&doc, &base()).unwrap_err();
            assert!(matches!(err, Error::InvalidTargetsFile { .. }), "{err}");
        }
    }
}
