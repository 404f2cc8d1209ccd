//! `ecs-migrate lambda-package`: the Lambda package is this binary, zipped as `bootstrap`
//! (one executable file at the root, as the provided.al2023 runtime wants it). Started under
//! that name, the binary serves as the function (`ecs_migrate_lambda::started_as_function`).

use crate::args::{Architecture, LambdaPackageArgs};
use std::fs::File;
use std::io::Write;
use std::path::Path;

pub fn write(args: &LambdaPackageArgs) -> i32 {
    match package(args) {
        Ok(()) => {
            println!("{}", args.output.display());
            0
        }
        Err(message) => {
            eprintln!("ecs-migrate: error: {message}");
            2
        }
    }
}

fn own_architecture() -> Option<Architecture> {
    match std::env::consts::ARCH {
        "x86_64" => Some(Architecture::X86_64),
        "aarch64" => Some(Architecture::Arm64),
        _ => None,
    }
}

fn name(architecture: Architecture) -> &'static str {
    match architecture {
        Architecture::X86_64 => "x86_64",
        Architecture::Arm64 => "arm64",
    }
}

fn package(args: &LambdaPackageArgs) -> Result<(), String> {
    if std::env::consts::OS != "linux" {
        return Err(format!(
            "this ecs-migrate is built for {}, and a Lambda package needs the Linux binary: run `ecs-migrate lambda-package` from a Linux install of it (`pipx install ecs-migrate` on Linux x86_64 or arm64)",
            std::env::consts::OS
        ));
    }
    let own = own_architecture().ok_or_else(|| {
        format!(
            "this ecs-migrate is built for {}, which Lambda does not run: run `ecs-migrate lambda-package` from an x86_64 or arm64 Linux install",
            std::env::consts::ARCH
        )
    })?;
    if let Some(wanted) = args.architecture.filter(|&wanted| wanted != own) {
        return Err(format!(
            "--architecture {}: this ecs-migrate is the {} binary, and the package is this binary; run `ecs-migrate lambda-package` from an {} install (for example on an {} CI runner), or set the function's architecture to {}",
            name(wanted),
            name(own),
            name(wanted),
            name(wanted),
            name(own)
        ));
    }
    let version = env!("CARGO_PKG_VERSION");
    if let Some(expected) = args.expect_version.as_deref().filter(|&v| v != version) {
        return Err(format!(
            "--expect-version {expected}: this ecs-migrate is {version}; install the expected one (`pipx install --force ecs-migrate=={expected}`) or expect {version}"
        ));
    }
    let exe = std::env::current_exe()
        .map_err(|err| format!("cannot find this binary to package it: {err}"))?;
    let binary =
        std::fs::read(&exe).map_err(|err| format!("cannot read {}: {err}", exe.display()))?;
    write_zip(&args.output, &binary)
        .map_err(|err| format!("cannot write {}: {err}", args.output.display()))
}

/// A zip with one file, `bootstrap`, mode 0755, at a fixed date so that the same binary gives
/// the same zip (Terraform compares the package's hash).
fn write_zip(path: &Path, binary: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let partial = path.with_extension("zip.partial");
    let mut zip = zip::ZipWriter::new(File::create(&partial)?);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755)
        .last_modified_time(zip::DateTime::default());
    zip.start_file("bootstrap", options)?;
    zip.write_all(binary)?;
    zip.finish()?.sync_all()?;
    std::fs::rename(&partial, path)
}
