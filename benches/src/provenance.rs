//! What a run measured: the git commit of the tree and the resolved version
//! of every crate that implements a row, so figures from different versions
//! are never compared unknowingly.

use std::collections::BTreeMap;
use std::process::Command;

use crate::output::workspace_root;

/// `name -> version` of every crate the strategy crates depend on, as
/// Cargo.lock resolved them when the harness was built.
pub fn strategy_crate_versions() -> BTreeMap<String, String> {
    env!("PROCSTORE_STRATEGY_VERSIONS")
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, version)| (name.to_owned(), version.to_owned()))
        .collect()
}

/// The commit checked out, with `-dirty` if tracked files differ from it;
/// `None` outside a git checkout or without git.
pub fn commit() -> Option<String> {
    let git = |args: &[&str]| {
        let out = Command::new("git").args(args).current_dir(workspace_root()).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let head = git(&["rev-parse", "--short=12", "HEAD"])?;
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{head}-dirty") } else { head })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_name_the_strategy_crates_dependencies() {
        let versions = strategy_crate_versions();
        for name in ["arc-swap", "dashmap", "haphazard", "parking_lot", "crossbeam-channel", "flume"] {
            assert!(versions.get(name).is_some_and(|v| v.split('.').count() == 3), "{name}: {versions:?}");
        }
        assert!(versions.keys().all(|name| !name.starts_with("procstore")), "{versions:?}");
    }
}
