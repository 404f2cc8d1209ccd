//! The core's shape, as ARCHITECTURE.md promises it: its codemap and the folder tree say the same
//! thing (every source file is named under its folder, every folder named exists), no source
//! file is over 400 lines, and no function takes more than 5 parameters.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 400;
const MAX_PARAMETERS: usize = 5;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, as a path relative to it (`lock/decide.rs`).
fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path.strip_prefix(base).unwrap().to_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(&src(), &src(), &mut out);
    out.sort();
    out
}

/// The codemap's entries for the core: each top-level bullet under
/// `crates/ecs-migrate-core/src/`, keyed by the folder it starts with (`lock/`), or `""` for
/// the bullets about files at the top of `src/`.
fn codemap() -> BTreeMap<String, String> {
    let architecture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ARCHITECTURE.md"),
    )
    .unwrap();
    let start = architecture
        .find("- `crates/ecs-migrate-core/src/`")
        .expect("ARCHITECTURE.md's codemap has an entry for crates/ecs-migrate-core/src/");
    let mut entries: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in architecture[start..].lines().skip(1) {
        if line.starts_with("- ") || line.starts_with("## ") {
            break;
        }
        if let Some(bullet) = line.strip_prefix("  - ") {
            let key = bullet
                .strip_prefix('`')
                .and_then(|rest| rest.split_once('`'))
                .map(|(name, _)| name)
                .filter(|name| name.ends_with('/'))
                .unwrap_or("")
                .to_owned();
            current = Some(key);
        }
        if let Some(key) = &current {
            let text = entries.entry(key.clone()).or_default();
            text.push_str(line);
            text.push('\n');
        }
    }
    entries
}

#[test]
fn every_core_source_file_is_named_in_the_codemap_under_its_folder() {
    let codemap = codemap();
    let mut missing = Vec::new();
    for path in sources() {
        let folder = path
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .filter(|p| !p.is_empty())
            .map(|p| format!("{p}/"))
            .unwrap_or_default();
        let file = format!("`{}`", path.file_name().unwrap().to_string_lossy());
        let named = match codemap.get(&folder) {
            Some(text) => text.contains(&file),
            // A file at the top of src/ may be named in any of the core's bullets.
            None => false,
        } || (folder.is_empty() && codemap.values().any(|text| text.contains(&file)))
            || path == Path::new("lib.rs");
        if !named {
            missing.push(path.display().to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "not named in ARCHITECTURE.md's codemap under their folder: {missing:?}"
    );
}

#[test]
fn every_folder_the_codemap_names_exists() {
    let missing: Vec<String> = codemap()
        .into_keys()
        .filter(|folder| !folder.is_empty() && !src().join(folder).is_dir())
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names core folders that do not exist: {missing:?}"
    );
}

#[test]
fn no_core_source_file_is_over_400_lines() {
    let long: Vec<String> = sources()
        .into_iter()
        .filter_map(|path| {
            let lines = std::fs::read_to_string(src().join(&path))
                .unwrap()
                .lines()
                .count();
            (lines > MAX_LINES).then(|| format!("{} ({lines})", path.display()))
        })
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:?}");
}

/// The parameters of each `fn` in `text`, as (name, count); `self` is not counted.
fn parameter_counts(text: &str) -> Vec<(String, usize)> {
    let mut counts = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("fn ") {
        let preceded_by_word = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        rest = &rest[at + 3..];
        if preceded_by_word {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        // Skip generics (`fn f<T: A<B>>(`) to the parameter list.
        let mut depth = 0i32;
        let mut open = None;
        for (i, c) in rest.char_indices().skip(name.len()) {
            match c {
                '<' => depth += 1,
                '>' => depth -= 1,
                '(' if depth == 0 => {
                    open = Some(i);
                    break;
                }
                _ if depth == 0 && !c.is_whitespace() => break,
                _ => {}
            }
        }
        let Some(open) = open else { continue };
        let mut depth = 0i32;
        let mut parameters = Vec::new();
        let mut current = String::new();
        let mut previous = ' ';
        for c in rest[open + 1..].chars() {
            let arrow = previous == '-' && c == '>';
            previous = c;
            match c {
                '(' | '<' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => break,
                '>' if arrow => {}
                ')' | '>' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    parameters.push(std::mem::take(&mut current));
                    continue;
                }
                _ => {}
            }
            current.push(c);
        }
        parameters.push(current);
        let count = parameters
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty() && !p.trim_start_matches(['&', '\'']).contains("self"))
            .count();
        counts.push((name, count));
    }
    counts
}

#[test]
fn the_parameter_counter_counts_what_a_reader_sees() {
    let text = "fn a(x: u8, y: Vec<(u8, u8)>) {}\nfn b<T: Into<String>>(&self, f: impl Fn(u8, u8) -> u8, g: u8) {}\nfn c() {}";
    assert_eq!(
        parameter_counts(text),
        [("a".into(), 2), ("b".into(), 2), ("c".into(), 0)]
    );
}

#[test]
fn no_core_function_takes_more_than_5_parameters() {
    let mut many = Vec::new();
    for path in sources() {
        let text = std::fs::read_to_string(src().join(&path)).unwrap();
        for (name, count) in parameter_counts(&text) {
            if count > MAX_PARAMETERS {
                many.push(format!("{}: fn {name} ({count})", path.display()));
            }
        }
    }
    assert!(
        many.is_empty(),
        "over {MAX_PARAMETERS} parameters: {many:?}"
    );
}
