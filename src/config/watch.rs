//! `reload: { watch: true }`: what the config was read from, and a fingerprint of it that
//! changes when any of those files or directories changes on disk.
//!
//! Polling, not inotify: a Kubernetes ConfigMap volume updates by swapping a `..data` symlink
//! (the files seen through it change without an event on their own paths), editors replace
//! files by rename, and bind mounts of single files keep a stale inode. Reading the metadata
//! of a few dozen files every couple of seconds sees all of these and costs microseconds.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default poll interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);
/// Shortest poll interval accepted.
pub const MIN_INTERVAL: Duration = Duration::from_millis(200);

/// The files and directories one load of the config read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Watched {
    /// Single files (their metadata is followed through symlinks).
    pub files: BTreeSet<PathBuf>,
    /// Directories whose entries (recursively, hidden ones skipped) count.
    pub dirs: BTreeSet<PathBuf>,
}

thread_local! {
    static READS: RefCell<Option<Watched>> = const { RefCell::new(None) };
}

/// Start recording what this thread's config load reads.
pub(crate) fn begin() {
    READS.with(|r| *r.borrow_mut() = Some(Watched::default()));
}

/// Stop recording and return what was read.
pub(crate) fn finish() -> Watched {
    READS.with(|r| r.borrow_mut().take()).unwrap_or_default()
}

/// A file the config load read (schemas, JWKS, certificates).
pub(crate) fn note_file(p: &Path) {
    READS.with(|r| {
        if let Some(w) = r.borrow_mut().as_mut() {
            w.files.insert(p.to_path_buf());
        }
    });
}

/// A directory the config load listed (policies, adapters).
pub(crate) fn note_dir(p: &Path) {
    READS.with(|r| {
        if let Some(w) = r.borrow_mut().as_mut() {
            w.dirs.insert(p.to_path_buf());
        }
    });
}

/// Entries looked at per directory tree, and how deep: a watched directory is a config
/// directory, not a file system.
const MAX_ENTRIES: usize = 4096;
const MAX_DEPTH: usize = 4;

impl Watched {
    /// A hash of every watched path's (length, modification time, inode), or its absence.
    pub fn fingerprint(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for f in &self.files {
            f.hash(&mut h);
            meta_key(f).hash(&mut h);
        }
        for d in &self.dirs {
            d.hash(&mut h);
            let mut budget = MAX_ENTRIES;
            walk(d, 0, &mut budget, &mut h);
        }
        h.finish()
    }
}

fn meta_key(p: &Path) -> Option<(u64, i64, i64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(p).ok()?;
    Some((m.len(), m.mtime(), m.mtime_nsec(), m.ino()))
}

fn walk(dir: &Path, depth: usize, budget: &mut usize, h: &mut impl Hasher) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        0u8.hash(h);
        return;
    };
    let mut names: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        // `..data` and `..2026_…` (ConfigMap internals), editor swap and backup files
        .filter(|n| !n.to_string_lossy().starts_with('.'))
        .collect();
    names.sort();
    for n in names {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let p = dir.join(&n);
        n.hash(h);
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => {
                if depth < MAX_DEPTH {
                    walk(&p, depth + 1, budget, h);
                }
            }
            _ => meta_key(&p).hash(h),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configmap_style_symlink_swap_changes_the_fingerprint() {
        let d = tempfile::tempdir().expect("tmp");
        let root = d.path();
        let v1 = root.join("..2026_01");
        let v2 = root.join("..2026_02");
        std::fs::create_dir(&v1).expect("v1");
        std::fs::create_dir(&v2).expect("v2");
        std::fs::write(v1.join("a.rego"), "package a\n").expect("w");
        std::fs::write(v2.join("a.rego"), "package a\n").expect("w");
        std::os::unix::fs::symlink("..2026_01", root.join("..data")).expect("link");
        std::os::unix::fs::symlink("..data/a.rego", root.join("a.rego")).expect("link");
        let w = Watched {
            files: BTreeSet::new(),
            dirs: [root.to_path_buf()].into_iter().collect(),
        };
        let before = w.fingerprint();
        assert_eq!(before, w.fingerprint(), "stable while nothing changes");
        // kubelet's atomic update: a new ..data link renamed over the old one
        std::os::unix::fs::symlink("..2026_02", root.join("..data_tmp")).expect("link");
        std::fs::rename(root.join("..data_tmp"), root.join("..data")).expect("swap");
        assert_ne!(before, w.fingerprint(), "same bytes, new file: a change");
        let after = w.fingerprint();
        std::fs::write(root.join(".a.rego.swp"), "x").expect("swp");
        assert_eq!(after, w.fingerprint(), "hidden files are ignored");
        std::fs::write(root.join("b.rego"), "package b\n").expect("new");
        assert_ne!(after, w.fingerprint(), "a new file is a change");
    }

    #[test]
    fn a_missing_file_and_its_return_are_changes() {
        let d = tempfile::tempdir().expect("tmp");
        let f = d.path().join("schema.json");
        let w = Watched {
            files: [f.clone()].into_iter().collect(),
            dirs: BTreeSet::new(),
        };
        let absent = w.fingerprint();
        std::fs::write(&f, "{}").expect("w");
        let present = w.fingerprint();
        assert_ne!(absent, present);
        std::fs::write(&f, "{\"type\":\"object\"}").expect("w");
        assert_ne!(present, w.fingerprint());
    }
}
