//! What an installed ecs-migrate gives besides `run`: shell completions, the manual page, its
//! version, and the Lambda package made of the binary itself. No emulator needed.

/// `ecs-migrate completions bash` is a script bash accepts and that completes the subcommands;
/// every shell clap_complete knows gets a script.
#[test]
fn completions_are_generated_for_every_shell_and_bash_loads_them() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecs-migrate"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(
            script.contains("lambda-package") && script.contains("wait-for-lock"),
            "{shell}"
        );
    }
    // Load the script, then ask its completion function (the one `complete -p` names) what
    // `ecs-migrate hi<TAB>` completes to.
    let probe = format!(
        r#"source <({} completions bash) && complete -p ecs-migrate && f=$(complete -p ecs-migrate | sed -E 's/.* -F ([^ ]+) .*/\1/') && COMP_WORDS=(ecs-migrate hi) COMP_CWORD=1 COMP_LINE='ecs-migrate hi' COMP_POINT=14 && "$f" ecs-migrate hi ecs-migrate && echo "${{COMPREPLY[@]}}""#,
        env!("CARGO_BIN_EXE_ecs-migrate")
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &probe])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains(" -F _ecs"), "{said}");
    assert!(
        said.lines()
            .last()
            .unwrap_or("")
            .split_whitespace()
            .any(|w| w == "history"),
        "`hi` completes to history: {said}"
    );
}

/// `ecs-migrate man` is a manual page man(1) can render, with every subcommand and its flags.
#[test]
fn the_manual_page_covers_every_subcommand_and_renders() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecs-migrate"))
        .arg("man")
        .output()
        .unwrap();
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH ecs-migrate 1"),
        "{}",
        &page[..200.min(page.len())]
    );
    for section in [
        "ecs-migrate-run",
        "ecs-migrate-restore",
        "ecs-migrate-history",
        "ecs-migrate-unlock",
        "ecs-migrate-lambda-package",
    ] {
        assert!(page.contains(&format!(".TH {section} 1")), "{section}");
    }
    assert!(
        page.contains("\\-\\-wait\\-for\\-lock"),
        "the flags are in it"
    );
    assert!(
        page.contains("ECS_MIGRATE_CLUSTER"),
        "the environment variables are in it"
    );
    // Rendered by groff when the machine has it (man-db's `man -l` needs a pager set up).
    if let Ok(mut groff) = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        groff
            .stdin
            .take()
            .unwrap()
            .write_all(page.as_bytes())
            .unwrap();
        let done = groff.wait_with_output().unwrap();
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        assert!(
            done.stderr.is_empty(),
            "groff warns: {}",
            String::from_utf8_lossy(&done.stderr)
        );
    } else {
        eprintln!("NOTE: groff is not installed: the manual page was checked but not rendered");
    }
}

/// `ecs-migrate --version` names the commit it was built from.
#[test]
fn the_version_names_the_commit() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecs-migrate"))
        .arg("--version")
        .output()
        .unwrap();
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(
        said.starts_with(&format!("ecs-migrate {}", env!("CARGO_PKG_VERSION"))),
        "{said}"
    );
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output();
    match head {
        Ok(head) if head.status.success() => {
            let head = String::from_utf8(head.stdout).unwrap();
            assert!(
                said.contains(&format!("(commit {})", head.trim())),
                "{said} vs {head}"
            );
        }
        _ => eprintln!("NOTE: not a git checkout: the version has no commit to check"),
    }
}

/// `ecs-migrate lambda-package` zips this binary as an executable `bootstrap`, the same bytes
/// every time; another architecture, or another version than expected, is refused with what
/// to do instead.
#[test]
fn the_lambda_package_is_this_binary_as_bootstrap() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("new/dir/fn.zip");
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ecs-migrate"))
            .args(["lambda-package", "-o"])
            .arg(&zip)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert!(out.status.success(), "{out:?}");
    let first = std::fs::read(&zip).unwrap();
    let listing = std::process::Command::new("python3")
        .args(["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); i = z.infolist(); print(len(i), i[0].filename, oct(i[0].external_attr >> 16), i[0].file_size)"])
        .arg(&zip)
        .output()
        .unwrap();
    let size = std::fs::metadata(env!("CARGO_BIN_EXE_ecs-migrate"))
        .unwrap()
        .len();
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout).trim(),
        format!("1 bootstrap 0o100755 {size}")
    );
    assert!(run(&[]).status.success());
    assert_eq!(std::fs::read(&zip).unwrap(), first, "the same zip again");

    let other = if cfg!(target_arch = "x86_64") {
        "arm64"
    } else {
        "x86_64"
    };
    let refused = run(&["--architecture", other]);
    assert_eq!(refused.status.code(), Some(2));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains(&format!("--architecture {other}")) && said.contains("install"),
        "{said}"
    );

    let wrong = run(&["--expect-version", "0.0.0-not-this"]);
    assert_eq!(wrong.status.code(), Some(2));
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        said.contains("0.0.0-not-this") && said.contains(env!("CARGO_PKG_VERSION")),
        "{said}"
    );
    assert!(run(&["--expect-version", env!("CARGO_PKG_VERSION")])
        .status
        .success());
}
