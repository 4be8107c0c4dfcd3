//! Reading objects' contents: a few `cat-file --batch` processes, each
//! given a contiguous run of the plan's order (pack order when reading
//! everything), feed batches of objects to a caller's closure, run in
//! parallel on a thread pool while the next batches are read.

use super::objects::{ObjectKind, Oid, Plan, Target};
use super::{wait_ok, GitError, Repo};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::sync::mpsc;

/// One object's contents.
pub struct Object<'a> {
    /// What it is and where.
    pub target: &'a Target,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// Bytes gathered before a batch is handed to the workers.
const BATCH_BYTES: usize = 8 << 20;

/// Objects per `cat-file` process below which one process reads them all.
const PER_PROCESS: usize = 2000;

/// Reads every target of `plan` once and calls `each` on it, in parallel
/// on `pool` while the next batch is read. The list is cut into one
/// contiguous run per worker (at most 4), each read by its own `cat-file
/// --batch` (git inflates and resolves deltas on one core per process).
/// `each` may return false to stop (a closed output). Returns the bytes
/// read.
pub fn read_all<F>(
    repo: &Repo,
    plan: &Plan,
    pool: &rayon::ThreadPool,
    each: F,
) -> Result<u64, GitError>
where
    F: Fn(Object) -> bool + Sync,
{
    let processes = pool
        .current_num_threads()
        .clamp(1, 4)
        .min(plan.order.len() / PER_PROCESS + 1);
    let per = plan.order.len().div_ceil(processes).max(1);
    let lists: Vec<Vec<u8>> = plan
        .order
        .chunks(per)
        .map(|chunk| {
            chunk
                .iter()
                .flat_map(|o| format!("{o}\n").into_bytes())
                .collect()
        })
        .collect();
    read_objects(repo, lists, &plan.targets, pool, each)
}

/// Runs one `cat-file --batch` per list (fed on its stdin) and hands each
/// object that is one of `targets` to `each`, in parallel batches.
pub fn read_objects<F>(
    repo: &Repo,
    lists: Vec<Vec<u8>>,
    targets: &HashMap<Oid, Target>,
    pool: &rayon::ThreadPool,
    each: F,
) -> Result<u64, GitError>
where
    F: Fn(Object) -> bool + Sync,
{
    use rayon::prelude::*;
    let (tx, rx) = mpsc::sync_channel::<Vec<(Oid, Vec<u8>)>>(2);
    let mut running = Vec::new();
    for list in lists {
        let mut cmd = repo.command(["cat-file", "--batch"]);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut stdin = child.stdin.take().expect("piped");
        let feeder = std::thread::spawn(move || stdin.write_all(&list));
        let stdout = child.stdout.take().expect("piped");
        let tx = tx.clone();
        let reader = std::thread::spawn(move || read_batches(stdout, tx));
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
                .all(|(oid, data)| match targets.get(&oid) {
                    Some(target) => each(Object { target, data }),
                    None => true,
                })
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
}

/// Parses `cat-file --batch` output into batches of (id, contents) of
/// blobs, commits and tags.
fn read_batches(
    stdout: impl Read,
    tx: mpsc::SyncSender<Vec<(Oid, Vec<u8>)>>,
) -> std::io::Result<()> {
    let mut out = BufReader::with_capacity(1 << 20, stdout);
    let mut header = String::new();
    let mut batch = Vec::new();
    let mut size_sum = 0;
    loop {
        header.clear();
        if out.read_line(&mut header)? == 0 {
            break;
        }
        let words: Vec<&str> = header.split_whitespace().collect();
        let [oid, kind, size] = words[..] else {
            continue; // `<oid> missing`
        };
        let size: usize = size
            .parse()
            .map_err(|_| std::io::Error::other("bad cat-file header"))?;
        let mut data = vec![0; size + 1];
        out.read_exact(&mut data)?;
        data.pop(); // the newline after the contents
        if ObjectKind::parse(kind).is_none() {
            continue;
        }
        size_sum += size;
        batch.push((oid.to_string(), data));
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
