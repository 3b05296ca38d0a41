//! Which files a scan reads: paths and folders expanded into a sorted list of regular files,
//! anything else (a FIFO, a device, the vote folder itself) left out and said so.

use super::*;

/// File endings taken from folders (a file named on the command line is always tried).
pub const IMAGE_EXTENSIONS: [&str; 7] = ["png", "jpg", "jpeg", "tif", "tiff", "bmp", "pdf"];

/// Expands files and folders (recursively) into a sorted list of files, each named as given.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ScanError> {
    Ok(list_files(paths)?.files)
}

/// The files to read, and what was left out because it is not a regular file.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub files: Vec<PathBuf>,
    /// A FIFO, a device (or a link to one), a socket: never opened, since reading one can
    /// block for ever or never end.
    pub skipped: Vec<FileProblem>,
    /// The folders walked, by their real path.
    walked: std::collections::HashSet<PathBuf>,
}

/// Expands files and folders (recursively) into a sorted list of regular files, each named as
/// given; anything else is listed as skipped, with why.
pub fn list_files(paths: &[PathBuf]) -> Result<Listing, ScanError> {
    let mut out = Listing::default();
    for p in paths {
        if p.is_dir() {
            let real = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
            if out.walked.insert(real) {
                walk(p, &mut out)?;
            }
        } else {
            take_if_regular(p.clone(), &mut out);
        }
    }
    out.files.sort();
    out.files.dedup();
    out.skipped.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(out)
}

/// Splits files into those outside the vote folder `vote_dir` and those inside it (compared after
/// resolving links, so `..` or a symbolic link does not hide the vote folder).
pub fn outside_vote(files: Vec<PathBuf>, vote_dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let Ok(vote) = vote_dir.canonicalize() else {
        return (files, Vec::new());
    };
    files.into_iter().partition(|f| {
        !f.canonicalize()
            .or_else(|_| std::path::absolute(f))
            .is_ok_and(|c| c.starts_with(&vote))
    })
}

/// Keeps a path when it is (or links to) a regular file. A path that does not exist is kept, so
/// that reading it says so.
fn take_if_regular(p: PathBuf, out: &mut Listing) {
    match std::fs::metadata(&p) {
        Ok(m) if !m.is_file() => out.skipped.push(FileProblem {
            file: p.display().to_string(),
            reason: format!("not a regular file ({}): skipped", file_kind(&m)),
        }),
        _ => out.files.push(p),
    }
}

fn file_kind(m: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_dir() {
        "a folder"
    } else {
        "not a file"
    }
}

fn walk(dir: &Path, out: &mut Listing) -> Result<(), ScanError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ScanError::List {
        path: dir.to_owned(),
        source,
    })?;
    for e in entries {
        let e = e.map_err(|source| ScanError::List {
            path: dir.to_owned(),
            source,
        })?;
        let p = e.path();
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            // A folder reached again through a link (a loop) is walked once.
            let real = std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
            if out.walked.insert(real) {
                walk(&p, out)?;
            }
        } else if is_image_name(&p) {
            take_if_regular(p, out);
        }
    }
    Ok(())
}

/// Reads a regular file, at most [`MAX_FILE_BYTES`]: opened without blocking, and checked to be a
/// regular file once open, so that a FIFO or a device put in place of a listed file is refused
/// instead of hanging the batch.
pub fn read_regular(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| e.to_string())?;
    let m = f.metadata().map_err(|e| e.to_string())?;
    if !m.is_file() {
        return Err(format!("not a regular file ({})", file_kind(&m)));
    }
    if m.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the file is {} MB (at most {} MB)",
            m.len() >> 20,
            MAX_FILE_BYTES >> 20
        ));
    }
    let mut bytes = Vec::with_capacity(m.len() as usize);
    f.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "the file grew beyond {} MB while it was read",
            MAX_FILE_BYTES >> 20
        ));
    }
    Ok(bytes)
}

pub fn is_image_name(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}
