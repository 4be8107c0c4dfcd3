//! Which walked paths name a file that an earlier walked path names too:
//! hard links to one file, or one file reached through two roots. A
//! rewrite must happen once per file, not once per name: two rewrites of
//! one inode at the same time would each see the other's half-done work.

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// For each path, in order: `true` when an earlier path of `paths` names
/// the same file (same device and inode). `follow`: symbolic links are
/// followed, as the walk followed them. A path that cannot be examined is
/// `false`: its own processing reports why.
pub fn named_earlier(paths: &[&Path], follow: bool) -> Vec<bool> {
    let mut seen = HashSet::new();
    paths
        .iter()
        .map(|path| {
            let meta = if follow {
                fs::metadata(path)
            } else {
                fs::symlink_metadata(path)
            };
            // One name can be given twice too (`redact dir dir/sub`).
            meta.is_ok_and(|m| !seen.insert((m.dev(), m.ino())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_name_of_one_file_is_named_earlier_and_others_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        let c = dir.path().join("c");
        fs::write(&a, "x").unwrap();
        fs::hard_link(&a, &b).unwrap();
        fs::write(&c, "x").unwrap();
        let missing = dir.path().join("missing");
        let paths = [a.as_path(), c.as_path(), b.as_path(), a.as_path(), &missing];
        assert_eq!(
            named_earlier(&paths, false),
            [false, false, true, true, false]
        );
    }
}
