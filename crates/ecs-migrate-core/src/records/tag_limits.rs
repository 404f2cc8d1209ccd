//! ECS's tag limits, which every record ecs-migrate keeps in AWS must fit: at most
//! [`MAX_TAGS`] tags a resource (tags whose key starts with `aws:` do not count), keys of 1 to
//! [`MAX_KEY`] characters, values of up to [`MAX_VALUE`], only letters, digits, spaces and
//! `+ - = . _ : / @`, and no key starting with `aws:` (any case). ECS refuses a TagResource that
//! breaks one, so resolution checks every record a run will write against the resource's tags
//! *before* anything changes (see `resolve/`; the family lock's tag also when the run looks at
//! the lock, before it takes the app: `lock/acquire.rs`). (Outcomes are SSM parameters, not
//! tags.)

use crate::Error;
use aws_sdk_ecs::types::Tag;

pub(crate) const MAX_TAGS: usize = 50;
pub(crate) const MAX_KEY: usize = 128;
pub(crate) const MAX_VALUE: usize = 256;

fn allowed(c: char) -> bool {
    c.is_alphanumeric() || c == ' ' || "+-=._:/@".contains(c)
}

fn counts(key: &str) -> bool {
    !key.to_ascii_lowercase().starts_with("aws:")
}

/// What is wrong with one tag, if anything.
pub(crate) fn problem(key: &str, value: &str) -> Option<String> {
    let key_len = key.chars().count();
    let value_len = value.chars().count();
    if key_len == 0 || key_len > MAX_KEY {
        return Some(format!(
            "the key `{key}` has {key_len} characters (ECS allows 1 to {MAX_KEY})"
        ));
    }
    if value_len > MAX_VALUE {
        return Some(format!(
            "the value of `{key}` would have {value_len} characters (ECS allows up to {MAX_VALUE})"
        ));
    }
    if !counts(key) {
        return Some(format!("the key `{key}` starts with the reserved `aws:`"));
    }
    if let Some(c) = key.chars().chain(value.chars()).find(|c| !allowed(*c)) {
        return Some(format!(
            "`{key}` would contain `{c}` (ECS allows letters, digits, spaces and + - = . _ : / @)"
        ));
    }
    None
}

/// How many tags over [`MAX_TAGS`] the resource would carry with `adding` put on top of
/// `present` (a key already present is replaced in place, not added).
fn excess(present: &[Tag], adding: &[Tag]) -> usize {
    let mut keys: Vec<&str> = present
        .iter()
        .filter_map(Tag::key)
        .filter(|k| counts(k))
        .collect();
    for key in adding.iter().filter_map(Tag::key) {
        if counts(key) && !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.len().saturating_sub(MAX_TAGS)
}

/// Refuses, naming the record, the resource and the fix, when `adding` cannot be written on a
/// resource that has `present`.
pub(crate) fn check(
    what: &'static str,
    resource: &str,
    present: &[Tag],
    adding: &[Tag],
    fix: impl FnOnce() -> String,
) -> Result<(), Error> {
    let problem =
        adding
            .iter()
            .find_map(|t| problem(t.key().unwrap_or_default(), t.value().unwrap_or_default()))
            .or_else(|| match excess(present, adding) {
                0 => None,
                n => Some(format!(
                "it has {} tags and the record needs {} more, {n} over ECS's {MAX_TAGS} a resource",
                present.iter().filter_map(Tag::key).filter(|k| counts(k)).count(),
                adding.len()
            )),
            });
    match problem {
        None => Ok(()),
        Some(problem) => Err(Error::TagLimit {
            what,
            resource: resource.to_owned(),
            problem,
            fix: fix(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(n: usize) -> Vec<Tag> {
        (0..n)
            .map(|i| Tag::builder().key(format!("k{i}")).value("v").build())
            .collect()
    }

    #[test]
    fn a_fiftieth_tag_fits_and_a_fifty_first_does_not() {
        let new = [Tag::builder().key("ecs-migrate:x").value("1").build()];
        assert_eq!(excess(&tags(49), &new), 0);
        assert_eq!(excess(&tags(50), &new), 1);
        assert!(check("lock", "cluster `c`", &tags(50), &new, || "fix".into()).is_err());
    }

    #[test]
    fn replacing_a_present_key_adds_nothing_and_aws_tags_do_not_count() {
        let mut present = tags(49);
        present.push(Tag::builder().key("ecs-migrate:x").value("0").build());
        present.push(
            Tag::builder()
                .key("aws:cloudformation:stack-name")
                .value("s")
                .build(),
        );
        let new = [Tag::builder().key("ecs-migrate:x").value("1").build()];
        assert_eq!(excess(&present, &new), 0);
    }

    #[test]
    fn long_values_long_keys_reserved_prefixes_and_odd_characters_are_named() {
        let long = "x".repeat(257);
        assert!(problem("ecs-migrate:outcome:1", &long)
            .unwrap()
            .contains("257 characters"));
        assert!(problem(&"k".repeat(129), "v").unwrap().contains("129"));
        assert!(problem("AWS:thing", "v").unwrap().contains("reserved"));
        assert!(problem("team", "a,b").unwrap().contains("`,`"));
        assert_eq!(problem("team", "payments ünïcode +-=._:/@"), None);
    }
}
