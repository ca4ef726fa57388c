//! Records, for the results' provenance, the compiler version and the
//! resolved version of every crate the strategy crates depend on.

use std::path::Path;
use std::process::Command;

/// The crates whose dependencies implement the rows.
const STRATEGY_CRATES: [&str; 3] = ["procstore-mutex", "procstore-channel", "procstore-atomic"];

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("-V")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=PROCSTORE_RUSTC_VERSION={version}");
    println!("cargo:rerun-if-env-changed=RUSTC");

    let lock = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo")).join("../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock).unwrap_or_default();
    let versions = strategy_dependency_versions(&text);
    println!("cargo:rustc-env=PROCSTORE_STRATEGY_VERSIONS={}", versions.join(","));
}

/// `name=version` of every non-procstore, non-loom dependency of the
/// strategy crates, as Cargo.lock resolved them.
fn strategy_dependency_versions(lock: &str) -> Vec<String> {
    let packages: Vec<Package<'_>> = lock.split("[[package]]").skip(1).map(Package::parse).collect();
    let mut versions: Vec<String> = packages
        .iter()
        .filter(|p| STRATEGY_CRATES.contains(&p.name))
        .flat_map(|p| p.dependencies.iter())
        .filter(|dep| !dep.starts_with("procstore") && !dep.starts_with("loom"))
        .filter_map(|dep| {
            // A dependency is `name` or, where several versions are locked, `name version`.
            let mut words = dep.split(' ');
            let name = words.next()?;
            let version =
                words.next().or_else(|| packages.iter().find(|p| p.name == name).map(|p| p.version))?;
            Some(format!("{name}={version}"))
        })
        .collect();
    versions.sort();
    versions.dedup();
    versions
}

struct Package<'l> {
    name: &'l str,
    version: &'l str,
    dependencies: Vec<&'l str>,
}

impl<'l> Package<'l> {
    fn parse(block: &'l str) -> Self {
        let field = |key: &str| {
            block
                .lines()
                .find_map(|line| line.strip_prefix(key)?.trim().strip_prefix("= "))
                .unwrap_or("")
                .trim_matches('"')
        };
        let dependencies = block
            .split_once("dependencies = [")
            .map(|(_, rest)| rest.split(']').next().unwrap_or(""))
            .unwrap_or("")
            .lines()
            .map(|line| line.trim().trim_end_matches(',').trim_matches('"'))
            .filter(|dep| !dep.is_empty())
            .collect();
        Package { name: field("name "), version: field("version "), dependencies }
    }
}
