//! Reading objects' contents: one `cat-file --batch` process (in pack
//! order when reading everything) feeds batches of objects to a caller's
//! closure, run in parallel on a thread pool while the next batch is read.

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

/// Reads every target of `plan` once and calls `each` on it, in parallel
/// on `pool` while the next batch is read. `each` may return false to stop
/// (a closed output). Returns the bytes read.
pub fn read_all<F>(
    repo: &Repo,
    plan: &Plan,
    pool: &rayon::ThreadPool,
    each: F,
) -> Result<u64, GitError>
where
    F: Fn(Object) -> bool + Sync,
{
    let mut list = Vec::new();
    let mut args = vec!["cat-file", "--batch"];
    if plan.full {
        args.extend(["--batch-all-objects", "--unordered"]);
    } else {
        let mut oids: Vec<&Oid> = plan.targets.keys().collect();
        oids.sort();
        list = oids
            .iter()
            .flat_map(|o| format!("{o}\n").into_bytes())
            .collect();
    }
    read_objects(repo, &args, list, &plan.targets, pool, each)
}

/// Runs `cat-file` with `args` (fed `list` on stdin) and hands each object
/// that is one of `targets` to `each`, in parallel batches.
pub fn read_objects<F>(
    repo: &Repo,
    args: &[&str],
    list: Vec<u8>,
    targets: &HashMap<Oid, Target>,
    pool: &rayon::ThreadPool,
    each: F,
) -> Result<u64, GitError>
where
    F: Fn(Object) -> bool + Sync,
{
    use rayon::prelude::*;
    let mut cmd = repo.command(args);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let feeder = std::thread::spawn(move || stdin.write_all(&list));
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::sync_channel::<Vec<(Oid, Vec<u8>)>>(2);
    let reader = std::thread::spawn(move || read_batches(stdout, tx));
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
    let _ = feeder.join();
    let read = reader
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("reader thread")));
    if stopped {
        let _ = child.kill();
        let _ = child.wait();
        return Ok(bytes);
    }
    read?;
    wait_ok(&cmd, child)?;
    Ok(bytes)
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
