//! What a rename rewrite carries from the old file to the new one: owner,
//! mode, POSIX ACL and extended attributes.
//!
//! The new file is created 0600 ([`crate::source::beneath::Dir::create_temp`]). In
//! a directory with a default ACL it inherits that ACL, masked by 0600 so
//! that nobody else can use it yet. Before any byte is written to it,
//! [`FileMeta::apply_before_write`] sets the owner, the extended attributes,
//! the access ACL — the old file's, or none: an inherited one is removed,
//! so a user who could not read the old file cannot read the new one — and
//! finally the mode. A write by an unprivileged process clears set-id bits,
//! and any write clears file capabilities (`security.capability`), so
//! [`FileMeta::apply_after_write`] sets those once the content is in place.
//!
//! The ACL is the `system.posix_acl_access` attribute, copied as is.
//! `user.*` attributes and the ACL must be carried over or the rewrite
//! fails; `security.*`, `trusted.*` and any other namespace are carried
//! where the process is permitted to set them (an unprivileged user cannot
//! set `trusted.*` or file capabilities).

use std::ffi::{CStr, CString};
use std::fs::{File, Metadata};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

const ACL_ACCESS: &CStr = c"system.posix_acl_access";
const CAPABILITY: &CStr = c"security.capability";

/// A step that failed, and why.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {error}")]
pub struct MetaError {
    /// What was being done (`cannot keep the ACL`).
    pub what: &'static str,
    /// The system's answer.
    pub error: io::Error,
}

fn fail(what: &'static str) -> impl FnOnce(io::Error) -> MetaError {
    move |error| MetaError { what, error }
}

/// The metadata of the old file, to be set on the new one.
pub struct FileMeta {
    uid: u32,
    gid: u32,
    /// Permission bits, set-id and sticky bits.
    mode: u32,
    /// The raw `system.posix_acl_access` value, when the file has one.
    acl: Option<Vec<u8>>,
    /// The raw `security.capability` value, when the file has one.
    capability: Option<Vec<u8>>,
    /// Every other extended attribute, name and value.
    others: Vec<(CString, Vec<u8>)>,
}

/// Attribute values may hold anything: only names are shown.
impl std::fmt::Debug for FileMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileMeta")
            .field("uid", &self.uid)
            .field("gid", &self.gid)
            .field("mode", &format_args!("{:04o}", self.mode))
            .field("acl", &self.acl.is_some())
            .field("capability", &self.capability.is_some())
            .field(
                "others",
                &self.others.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Whether an error setting an attribute outside `user.*` means "not
/// permitted here" rather than a failure.
fn not_permitted(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EPERM | libc::EACCES | libc::ENOTSUP | libc::EINVAL)
    )
}

impl FileMeta {
    /// Reads the owner, mode and extended attributes of the open `file`.
    pub fn read(file: &File, meta: &Metadata) -> Result<FileMeta, MetaError> {
        let mut kept = FileMeta {
            uid: meta.uid(),
            gid: meta.gid(),
            mode: meta.mode() & 0o7777,
            acl: None,
            capability: None,
            others: Vec::new(),
        };
        for name in list_xattrs(file).map_err(fail("cannot list extended attributes"))? {
            let Some(value) =
                get_xattr(file, &name).map_err(fail("cannot read extended attributes"))?
            else {
                continue; // removed meanwhile
            };
            if name.as_c_str() == ACL_ACCESS {
                kept.acl = Some(value);
            } else if name.as_c_str() == CAPABILITY {
                kept.capability = Some(value);
            } else {
                kept.others.push((name, value));
            }
        }
        Ok(kept)
    }

    /// Sets owner, extended attributes, ACL and mode on the new, still
    /// empty file (see the module docs for the order).
    pub fn apply_before_write(&self, new: &File) -> Result<(), MetaError> {
        // Owner first: chown may clear set-id bits and capabilities.
        if let Err(e) = std::os::unix::fs::fchown(new, Some(self.uid), Some(self.gid)) {
            // An unprivileged owner cannot give the file to a group it is
            // not in; the file stays its own.
            if e.raw_os_error() != Some(libc::EPERM) || self.uid != unsafe { libc::geteuid() } {
                return Err(fail("cannot keep the owner")(e));
            }
        }
        for (name, value) in &self.others {
            match set_xattr(new, name, value) {
                Ok(()) => {}
                Err(e) if !name.to_bytes().starts_with(b"user.") && not_permitted(&e) => {}
                Err(e) => return Err(fail("cannot keep the extended attributes")(e)),
            }
        }
        match &self.acl {
            Some(acl) => set_xattr(new, ACL_ACCESS, acl).map_err(fail("cannot keep the ACL"))?,
            None => remove_xattr(new, ACL_ACCESS)
                .map_err(fail("cannot drop the ACL inherited from the directory"))?,
        }
        new.set_permissions(std::fs::Permissions::from_mode(self.mode))
            .map_err(fail("cannot keep the mode"))
    }

    /// Sets what writing the content cleared: set-id bits and file
    /// capabilities.
    pub fn apply_after_write(&self, new: &File) -> Result<(), MetaError> {
        if self.mode & 0o6000 != 0 {
            new.set_permissions(std::fs::Permissions::from_mode(self.mode))
                .map_err(fail("cannot keep the mode"))?;
        }
        if let Some(cap) = &self.capability {
            match set_xattr(new, CAPABILITY, cap) {
                Ok(()) => {}
                Err(e) if not_permitted(&e) => {}
                Err(e) => return Err(fail("cannot keep the file capabilities")(e)),
            }
        }
        Ok(())
    }
}

/// Gives `file` the access and modification times in `original`, and
/// syncs them: `redact --keep-mtime`, once the content is final.
pub fn restore_times(file: &File, original: &Metadata) -> io::Result<()> {
    let times = std::fs::FileTimes::new()
        .set_accessed(original.accessed()?)
        .set_modified(original.modified()?);
    file.set_times(times)?;
    file.sync_all()
}

fn cvt_size(ret: libc::ssize_t) -> io::Result<usize> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

/// Runs `call` with a buffer large enough for its answer (it reports the
/// size needed when given an empty one; the size may grow in between).
fn sized(mut call: impl FnMut(&mut [u8]) -> io::Result<usize>) -> io::Result<Vec<u8>> {
    loop {
        let size = call(&mut [])?;
        let mut buf = vec![0u8; size];
        match call(&mut buf) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(e) if e.raw_os_error() == Some(libc::ERANGE) => continue,
            Err(e) => return Err(e),
        }
    }
}

fn list_xattrs(file: &File) -> io::Result<Vec<CString>> {
    let fd = file.as_raw_fd();
    let names = match sized(|buf| {
        cvt_size(unsafe { libc::flistxattr(fd, buf.as_mut_ptr().cast(), buf.len()) })
    }) {
        Ok(names) => names,
        Err(e) if e.raw_os_error() == Some(libc::ENOTSUP) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(names
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty())
        .filter_map(|n| CString::new(n).ok())
        .collect())
}

fn get_xattr(file: &File, name: &CStr) -> io::Result<Option<Vec<u8>>> {
    let fd = file.as_raw_fd();
    match sized(|buf| {
        cvt_size(unsafe { libc::fgetxattr(fd, name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) })
    }) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.raw_os_error() == Some(libc::ENODATA) => Ok(None),
        Err(e) => Err(e),
    }
}

fn set_xattr(file: &File, name: &CStr, value: &[u8]) -> io::Result<()> {
    let ret = unsafe {
        libc::fsetxattr(
            file.as_raw_fd(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Removes an attribute; one that is not there (or a file system without
/// attributes) is fine.
fn remove_xattr(file: &File, name: &CStr) -> io::Result<()> {
    if unsafe { libc::fremovexattr(file.as_raw_fd(), name.as_ptr()) } < 0 {
        let e = io::Error::last_os_error();
        if !matches!(e.raw_os_error(), Some(libc::ENODATA | libc::ENOTSUP)) {
            return Err(e);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_attributes_and_mode_are_carried_to_a_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old");
        std::fs::write(&old, "x").unwrap();
        let f = File::open(&old).unwrap();
        set_xattr(&f, c"user.origin", b"ci").unwrap();
        f.set_permissions(std::fs::Permissions::from_mode(0o640))
            .unwrap();
        let kept = FileMeta::read(&f, &f.metadata().unwrap()).unwrap();
        assert!(
            !format!("{kept:?}").contains("ci\""),
            "values are not shown"
        );
        let new = File::create(dir.path().join("new")).unwrap();
        kept.apply_before_write(&new).unwrap();
        kept.apply_after_write(&new).unwrap();
        assert_eq!(
            get_xattr(&new, c"user.origin").unwrap().as_deref(),
            Some(&b"ci"[..])
        );
        assert_eq!(new.metadata().unwrap().mode() & 0o7777, 0o640);
    }
}
