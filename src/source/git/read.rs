//! Reading objects' contents. The whole database: its packs in process
//! ([`super::packs`]), then what they do not hold (loose objects,
//! alternates) through `cat-file`, commits and trees kept on the way for
//! placing ([`super::graph`]). A list of objects (a narrowed scope,
//! the objects to report): a few `cat-file --batch` processes, each
//! given a contiguous run of the list holding about as many bytes as the
//! others, feed batches of objects to a caller's closure, run in parallel
//! on a thread pool while the next batches are read.

use super::listing::typed;
use super::objects::{Entry, ObjectKind, Oid, Plan};
use super::packs::read_packs;
use super::{wait_ok, Fed, GitError, Repo};
use std::io::{BufRead, BufReader, Read};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

/// One object's contents.
pub struct Object<'a> {
    /// Which object.
    pub entry: &'a Entry,
    /// Its bytes.
    pub data: &'a [u8],
}

/// Bytes gathered before a batch is handed to the workers.
const BATCH_BYTES: usize = 8 << 20;

/// Trees outside the packs past which placing is left to `git log`.
const LOOSE_TREES: usize = 2000;

/// Objects per `cat-file` process below which one process reads them all.
const PER_PROCESS: usize = 2000;

/// Reads every entry of `plan` once and calls `each` on it, in parallel
/// on `pool`'s number of threads. For the whole database the packs are
/// read in process first ([`read_packs`]) and only what they do not hold
/// goes to `cat-file`; else [`read_entries`]. Returns the bytes read.
pub fn read_all<F>(
    repo: &Repo,
    plan: &Plan,
    pool: &rayon::ThreadPool,
    each: F,
) -> Result<u64, GitError>
where
    F: Fn(Object) -> bool + Sync,
{
    if !plan.is_whole() {
        let entries: Vec<Entry> = plan
            .entries()?
            .iter()
            .filter(|e| !plan.is_excluded(&e.oid))
            .cloned()
            .collect();
        return read_entries(repo, &entries, pool, each);
    }
    let graph = plan.graph();
    if repo.object_format != "sha1" || repo.grafted {
        // SHA-256, shallow or grafted: placed by `git log`.
        graph.give_up();
    }
    let wanted = |object: Object| plan.is_excluded(&object.entry.oid) || each(object);
    let packed = read_packs(repo, pool.current_num_threads(), &wanted, graph);
    if packed.stopped {
        graph.seal(false);
        return Ok(packed.bytes);
    }
    // Git has been listing the database meanwhile: what the packs did
    // not hold is typed by git, and read through it.
    let ids = plan.ids().inspect_err(|_| graph.seal(false))?;
    let left: Vec<&Oid> = pool.install(|| {
        use rayon::prelude::*;
        ids.par_iter()
            .filter(|oid| !packed.handed.contains(oid) && !plan.is_excluded(oid))
            .collect()
    });
    let (rest, trees) = typed(repo, &left).inspect_err(|_| graph.seal(false))?;
    if trees > LOOSE_TREES {
        // Most of the history is outside the packs (alternates): asking
        // git for each tree would be slower than `git log`.
        graph.give_up();
    }
    // Loose commits join the graph; their trees are asked of git when
    // placing needs them.
    let stopped = AtomicBool::new(false);
    let read = read_entries(repo, &rest, pool, |object| {
        if let (ObjectKind::Commit, Ok(oid)) = (
            object.entry.kind,
            gix_hash::ObjectId::from_hex(object.entry.oid.as_bytes()),
        ) {
            graph.add(gix_object::Kind::Commit, oid, object.data);
        }
        let go_on = each(object);
        if !go_on {
            stopped.store(true, Ordering::Relaxed);
        }
        go_on
    });
    graph.seal(read.is_ok() && !stopped.into_inner());
    Ok(packed.bytes + read?)
}

/// Reads `entries` once each and calls `each` on them, in parallel on
/// `pool` while the next batch is read. The list is cut into one
/// contiguous run per worker (at most 4) of about equal bytes, each read
/// by its own `cat-file --batch` (git inflates and resolves deltas on one
/// core per process; in pack order commits come first, then trees, then
/// blobs, so equal counts would leave one process all the blobs). `each`
/// may return false to stop (a closed output). Returns the bytes read.
pub fn read_entries<F>(
    repo: &Repo,
    entries: &[Entry],
    pool: &rayon::ThreadPool,
    each: F,
) -> Result<u64, GitError>
where
    F: Fn(Object) -> bool + Sync,
{
    let processes = pool
        .current_num_threads()
        .clamp(1, 4)
        .min(entries.len() / PER_PROCESS + 1);
    read_runs(repo, &split(entries, processes), pool, each)
}

/// Cuts `entries` into at most `parts` contiguous runs of about equal
/// weight (size, plus one per object so that sizes of 0 still count).
fn split(entries: &[Entry], parts: usize) -> Vec<&[Entry]> {
    let total: u64 = entries.iter().map(|e| e.size + 1).sum();
    let per = total.div_ceil(parts.max(1) as u64).max(1);
    let mut runs = Vec::new();
    let (mut start, mut weight) = (0, 0);
    for (i, e) in entries.iter().enumerate() {
        weight += e.size + 1;
        if weight >= per && runs.len() + 1 < parts {
            runs.push(&entries[start..=i]);
            (start, weight) = (i + 1, 0);
        }
    }
    if start < entries.len() {
        runs.push(&entries[start..]);
    }
    runs
}

/// Runs one `cat-file --batch` per run (its ids fed on its stdin) and
/// hands each object to `each`, in parallel batches.
fn read_runs<F>(
    repo: &Repo,
    runs: &[&[Entry]],
    pool: &rayon::ThreadPool,
    each: F,
) -> Result<u64, GitError>
where
    F: Fn(Object) -> bool + Sync,
{
    use rayon::prelude::*;
    let (tx, rx) = mpsc::sync_channel::<Vec<(&Entry, Vec<u8>)>>(2);
    std::thread::scope(|scope| {
        let mut running = Vec::new();
        for &run in runs {
            let list: Vec<u8> = run
                .iter()
                .flat_map(|e| [e.oid.as_bytes(), b"\n"].concat())
                .collect();
            // `--buffer`: the whole list is on stdin, so nothing waits for
            // a flush after each object.
            let Fed {
                cmd,
                mut child,
                feeder,
            } = repo.spawn_fed(["cat-file", "--batch", "--buffer"], list)?;
            let stdout = child.stdout.take().expect("piped");
            // Fewer, larger reads: the objects come as fast as git inflates.
            crate::sys::widen_pipe(stdout.as_raw_fd());
            let tx = tx.clone();
            let reader = scope.spawn(move || read_batches(stdout, run, tx));
            running.push((cmd, child, feeder, reader));
        }
        drop(tx);
        let mut bytes = 0u64;
        let mut stopped = false;
        for batch in rx {
            if stopped {
                continue;
            }
            bytes += batch.iter().map(|(_, d)| d.len() as u64).sum::<u64>();
            let go_on = pool.install(|| {
                batch
                    .into_par_iter()
                    .all(|(entry, data)| each(Object { entry, data: &data }))
            });
            stopped = !go_on;
        }
        let mut result = Ok(bytes);
        for (cmd, mut child, feeder, reader) in running {
            let _ = feeder.join();
            let read = reader
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("reader thread")));
            if stopped {
                let _ = child.kill();
                let _ = child.wait();
                continue;
            }
            let done = read
                .map_err(GitError::from)
                .and_then(|_| wait_ok(&cmd, child));
            if let (Err(e), Ok(_)) = (done, &result) {
                result = Err(e);
            }
        }
        result
    })
}

/// Parses `cat-file --batch` output for `run` (answered in its order) into
/// batches of (entry, contents); a `missing` object is passed over.
fn read_batches<'a>(
    stdout: impl Read,
    run: &'a [Entry],
    tx: mpsc::SyncSender<Vec<(&'a Entry, Vec<u8>)>>,
) -> std::io::Result<()> {
    let mut out = BufReader::with_capacity(1 << 20, stdout);
    let mut header = String::new();
    let mut batch = Vec::new();
    let mut size_sum = 0;
    for entry in run {
        header.clear();
        if out.read_line(&mut header)? == 0 {
            break;
        }
        let words: Vec<&str> = header.split_whitespace().collect();
        let [oid, _kind, size] = words[..] else {
            continue; // `<oid> missing`
        };
        if oid != entry.oid {
            return Err(std::io::Error::other("cat-file answered out of order"));
        }
        let size: usize = size
            .parse()
            .map_err(|_| std::io::Error::other("bad cat-file header"))?;
        let mut data = Vec::with_capacity(size + 1);
        (&mut out).take(size as u64 + 1).read_to_end(&mut data)?;
        if data.pop() != Some(b'\n') || data.len() != size {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        size_sum += size;
        batch.push((entry, data));
        if size_sum >= BATCH_BYTES || batch.len() >= 4096 {
            if tx.send(std::mem::take(&mut batch)).is_err() {
                return Ok(());
            }
            size_sum = 0;
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::git::objects::ObjectKind;

    fn entries(sizes: &[u64]) -> Vec<Entry> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &size)| Entry {
                oid: format!("{i:040x}"),
                kind: ObjectKind::Blob,
                size,
            })
            .collect()
    }

    #[test]
    fn runs_hold_about_equal_bytes_not_equal_counts() {
        // Pack order: many small commits first, then a few large blobs.
        let mut sizes = vec![200; 1000];
        sizes.extend([100_000; 4]);
        let list = entries(&sizes);
        let runs = split(&list, 2);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs.iter().map(|r| r.len()).sum::<usize>(), list.len());
        let weight = |r: &[Entry]| r.iter().map(|e| e.size).sum::<u64>();
        let (a, b) = (weight(runs[0]), weight(runs[1]));
        assert!(a.abs_diff(b) <= 100_000, "{a} vs {b}");
    }

    #[test]
    fn every_entry_is_in_exactly_one_run() {
        for parts in 1..5 {
            for n in [0, 1, 3, 10] {
                let list = entries(&vec![0; n]);
                let runs = split(&list, parts);
                assert!(runs.len() <= parts);
                assert_eq!(runs.iter().map(|r| r.len()).sum::<usize>(), n);
            }
        }
    }
}
