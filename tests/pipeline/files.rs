//! Files page by page, and files that cost too much or hang: every page of a multi-page file gets
//! its own record, a hostile file is refused before its pixels are allocated, and the batch always
//! goes on. The big hostile files are built here, a few KB each, never committed.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Sandbox, shipped_form};
use kiemphieu::interpret::decode::{DecodeFailure, decode_each};
use kiemphieu::record::{Outcome, Reason, SheetRecord};
use kiemphieu::simulate::formats::{ScanFormat, encode};
use kiemphieu::simulate::png_chunk;
use kiemphieu::vote::Vote;

fn json_records(stdout: &str) -> Vec<SheetRecord> {
    stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// A vote with `n` ballots printed, and its ballots rendered in grey at 150 dpi.
fn vote_and_ballots(sb: &Sandbox, n: usize) -> (PathBuf, Vec<image::GrayImage>) {
    let vote_dir = sb.join("vote");
    let mut vote = Vote::init(&vote_dir, &shipped_form("tin-nhiem-so-khcn.json")).unwrap();
    vote.generate(n).unwrap();
    let pdf = kiemphieu::raster::PrintedPdf::load(
        std::fs::read(vote_dir.join("ballots/batch-0001.pdf")).unwrap(),
    )
    .unwrap();
    let pages = (0..n)
        .map(|i| image::DynamicImage::ImageRgb8(pdf.render(i, 150.0).unwrap()).to_luma8())
        .collect();
    (vote_dir, pages)
}

/// One page as `decode_each` passed it on: its number, and its size or why it failed.
type PageSeen = (u32, Result<(u32, u32), DecodeFailure>);

/// What `decode_each` passed on.
fn pages_of(bytes: &[u8]) -> Result<Vec<PageSeen>, DecodeFailure> {
    let mut out = Vec::new();
    decode_each(bytes, |n, p| {
        out.push((n, p.map(|p| p.image.dimensions())));
    })?;
    Ok(out)
}

/// Runs the binary with a deadline: a hang fails the test instead of stalling the suite.
fn run_with_deadline(sb: &Sandbox, args: &[&str], deadline: Duration) -> common::Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args(args)
        .current_dir(sb.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "`kiemphieu {}` still running after {deadline:?}\n{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    common::Run {
        args: args.iter().map(|a| a.to_string()).collect(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A little-endian TIFF whose pages only claim a size: `pages` IFDs of w × h 8-bit grey, each
/// with one strip of 16 bytes. Nothing like w × h bytes is in the file.
fn claiming_tiff(pages: usize, w: u32, h: u32) -> Vec<u8> {
    let mut out = b"II*\0".to_vec();
    out.extend(8u32.to_le_bytes());
    let entries: u16 = 8;
    let ifd_len = 2 + entries as usize * 12 + 4;
    let data_at = 8 + pages * ifd_len;
    for i in 0..pages {
        let next = if i + 1 < pages {
            (8 + (i + 1) * ifd_len) as u32
        } else {
            0
        };
        out.extend(entries.to_le_bytes());
        let mut entry = |tag: u16, typ: u16, value: u32| {
            out.extend(tag.to_le_bytes());
            out.extend(typ.to_le_bytes());
            out.extend(1u32.to_le_bytes());
            out.extend(value.to_le_bytes());
        };
        entry(256, 4, w); // ImageWidth
        entry(257, 4, h); // ImageLength
        entry(258, 3, 8); // BitsPerSample
        entry(259, 3, 1); // Compression: none
        entry(262, 3, 1); // BlackIsZero
        entry(273, 4, data_at as u32); // StripOffsets
        entry(278, 4, h); // RowsPerStrip
        entry(279, 4, 16); // StripByteCounts
        out.extend(next.to_le_bytes());
    }
    out.extend([0x80u8; 16]);
    out
}

/// A PNG header claiming `w` × `h` grey pixels, with a few bytes of data.
fn claiming_png(w: u32, h: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut png, b"IEND", &[]);
    png
}

#[test]
fn a_tiff_with_a_cut_off_third_page_yields_two_read_pages_and_one_page_error() {
    let sb = Sandbox::new();
    let (vote_dir, ballots) = vote_and_ballots(&sb, 3);
    let tiff = encode(&ballots, 150, ScanFormat::TiffGray).unwrap();
    // Cut inside the third page (pages are written in order, each about a third of the file):
    // its data or its directory is gone.
    let cut = &tiff[..tiff.len() - tiff.len() / 6];
    let box_dir = sb.join("box");
    std::fs::create_dir_all(&box_dir).unwrap();
    std::fs::write(box_dir.join("three.tif"), cut).unwrap();
    let run = sb.run([
        "scan",
        vote_dir.to_str().unwrap(),
        box_dir.to_str().unwrap(),
        "--json",
    ]);
    run.expect_code(1);
    let recs = json_records(&run.stdout);
    let pages: Vec<(u32, Outcome)> = recs.iter().map(|r| (r.page, r.outcome)).collect();
    assert_eq!(
        pages,
        vec![
            (1, Outcome::Counted),
            (2, Outcome::Counted),
            (3, Outcome::Error)
        ],
        "{}",
        run.stdout
    );
    let third = &recs[2];
    assert_eq!(third.reason, Some(Reason::ReadFailed), "{third:?}");
    assert!(
        third.detail.as_deref().unwrap_or("").contains("page 3"),
        "{third:?}"
    );
    // Each page on its own: the audit re-reads the same three outcomes.
    sb.run(["audit", vote_dir.to_str().unwrap()]).expect_code(0);
}

#[test]
fn the_votes_own_ballot_pdf_scanned_gives_only_no_scanned_image_errors() {
    let sb = Sandbox::new();
    let (vote_dir, _) = vote_and_ballots(&sb, 3);
    let elsewhere = sb.join("printed/batch-0001.pdf");
    std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    std::fs::copy(vote_dir.join("ballots/batch-0001.pdf"), &elsewhere).unwrap();
    let run = sb.run([
        "scan",
        vote_dir.to_str().unwrap(),
        elsewhere.to_str().unwrap(),
        "--json",
    ]);
    run.expect_code(1);
    let recs = json_records(&run.stdout);
    assert_eq!(recs.len(), 3, "{}", run.stdout);
    for r in &recs {
        assert_eq!(
            (r.outcome, r.reason),
            (Outcome::Error, Some(Reason::NoScannedImage)),
            "{r:?}"
        );
    }
    let tally = sb.run(["tally", vote_dir.to_str().unwrap(), "--json"]);
    let t: serde_json::Value = serde_json::from_str(&tally.stdout).unwrap();
    assert_eq!(t["collected"], 0, "{}", tally.stdout);
}

#[test]
fn a_truncated_four_page_pdf_reports_every_declared_page() {
    let pages: Vec<image::GrayImage> = (0..4)
        .map(|i| {
            image::GrayImage::from_fn(300, 420, |x, y| image::Luma([((x + y + i) % 256) as u8]))
        })
        .collect();
    let pdf = encode(&pages, 100, ScanFormat::PdfFlate).unwrap();
    // Objects: catalog, page tree, then page, contents and image per page. Cut inside the
    // third page's image: pages 3 and 4 are gone, with the cross-reference table.
    let third_image = find_all(&pdf, b"/Subtype /Image")[2];
    let cut = &pdf[..third_image + 40];
    let got = match pages_of(cut) {
        Ok(p) => p,
        Err(e) => panic!("the readable pages must be read: {e:?}"),
    };
    let numbers: Vec<u32> = got.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, vec![1, 2, 3, 4], "{got:?}");
    assert!(got[0].1.is_ok() && got[1].1.is_ok(), "{got:?}");
    for (n, p) in &got[2..] {
        let e = p.as_ref().expect_err("a page that is cut off is an error");
        assert!(e.detail.contains(&format!("page {n}")), "{e:?}");
    }
    // Cut just after the page tree: no page can be found, and all four are still reported.
    let tree = find_all(&pdf, b"/Count 4")[0];
    let got = pages_of(&pdf[..tree + 60]).unwrap();
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(
        got.iter()
            .all(|(_, p)| p.as_ref().is_err_and(|e| e.reason == Reason::ReadFailed)),
        "{got:?}"
    );
}

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn a_pdf_of_999_blank_pages_is_999_page_errors_without_rendering() {
    let pdf = kiemphieu::simulate::minimal_pdf(999, "", "<< >>", &[]);
    let start = Instant::now();
    let got = pages_of(&pdf).unwrap();
    assert_eq!(got.len(), 999);
    for (_, p) in &got {
        assert_eq!(p.as_ref().unwrap_err().reason, Reason::NoScannedImage);
    }
    // Nothing is rendered: a page's pixels would take seconds at 300 dpi.
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_pdf_page_holding_a_60000_square_image_is_refused_before_rendering() {
    let image = b"<< /Type /XObject /Subtype /Image /Width 60000 /Height 60000 /ColorSpace /DeviceGray \
        /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 60000 /Rows 60000 >> \
        /Length 4 >>\nstream\n\0\0\0\0\nendstream"
        .to_vec();
    let pdf = kiemphieu::simulate::minimal_pdf(
        1,
        "q 595 0 0 842 0 0 cm /Im0 Do Q",
        "<< /XObject << /Im0 5 0 R >> >>",
        &[image],
    );
    let got = pages_of(&pdf).unwrap();
    assert_eq!(got.len(), 1);
    let e = got[0].1.as_ref().unwrap_err();
    assert_eq!(e.reason, Reason::ImageTooLarge, "{e:?}");
    assert!(e.detail.contains("60000×60000"), "{e:?}");
}

#[test]
fn hostile_files_are_refused_and_the_other_files_of_the_batch_are_recorded() {
    let sb = Sandbox::new();
    let (vote_dir, ballots) = vote_and_ballots(&sb, 2);
    let dir = sb.join("box");
    std::fs::create_dir_all(&dir).unwrap();
    ballots[0].save(dir.join("a-ballot.png")).unwrap();
    // 40 pages of 14,000 × 14,000 claimed in a few KB.
    std::fs::write(dir.join("b-forty.tif"), claiming_tiff(40, 14_000, 14_000)).unwrap();
    std::fs::write(dir.join("c-huge.png"), claiming_png(14_000, 14_000)).unwrap();
    let image =
        b"<< /Type /XObject /Subtype /Image /Width 60000 /Height 60000 /ColorSpace /DeviceGray \
        /BitsPerComponent 1 /Length 4 >>\nstream\n\0\0\0\0\nendstream"
            .to_vec();
    std::fs::write(
        dir.join("d-bomb.pdf"),
        kiemphieu::simulate::minimal_pdf(
            1,
            "q 595 0 0 842 0 0 cm /Im0 Do Q",
            "<< /XObject << /Im0 5 0 R >> >>",
            &[image],
        ),
    )
    .unwrap();
    ballots[1].save(dir.join("e-ballot.png")).unwrap();
    let run = run_with_deadline(
        &sb,
        &[
            "scan",
            vote_dir.to_str().unwrap(),
            dir.to_str().unwrap(),
            "--json",
        ],
        Duration::from_secs(60),
    );
    run.expect_code(1);
    let recs = json_records(&run.stdout);
    let of = |name: &str| -> Vec<&SheetRecord> {
        recs.iter().filter(|r| r.file.ends_with(name)).collect()
    };
    assert_eq!(of("a-ballot.png")[0].outcome, Outcome::Counted);
    assert_eq!(of("e-ballot.png")[0].outcome, Outcome::Counted);
    let forty = of("b-forty.tif");
    assert_eq!(forty.len(), 40, "{}", run.stdout);
    assert!(
        forty
            .iter()
            .all(|r| r.outcome == Outcome::Error && r.reason == Some(Reason::ImageTooLarge)),
        "{forty:?}"
    );
    for name in ["c-huge.png", "d-bomb.pdf"] {
        let r = of(name);
        assert_eq!(r.len(), 1, "{name}: {}", run.stdout);
        assert_eq!(
            (r[0].outcome, r[0].reason),
            (Outcome::Error, Some(Reason::ImageTooLarge)),
            "{name}: {:?}",
            r[0]
        );
    }
}

#[test]
fn a_fifo_and_a_link_to_dev_zero_in_the_scan_folder_are_skipped_not_read() {
    let sb = Sandbox::new();
    let (vote_dir, ballots) = vote_and_ballots(&sb, 1);
    let dir = sb.join("box");
    std::fs::create_dir_all(&dir).unwrap();
    ballots[0].save(dir.join("a-ballot.png")).unwrap();
    let made = Command::new("mkfifo")
        .arg(dir.join("b-pipe.png"))
        .status()
        .unwrap();
    assert!(made.success());
    std::os::unix::fs::symlink("/dev/zero", dir.join("c-zero.jpg")).unwrap();
    let run = run_with_deadline(
        &sb,
        &["scan", vote_dir.to_str().unwrap(), dir.to_str().unwrap()],
        Duration::from_secs(30),
    );
    run.expect_code(0);
    run.expect_stderr_has(&["b-pipe.png", "a FIFO", "c-zero.jpg", "a device", "skipped"]);
    assert!(run.stdout.contains("counted 1"), "{}", run.stdout);
    // Named on the command line, a FIFO is skipped too.
    let run = run_with_deadline(
        &sb,
        &[
            "scan",
            vote_dir.to_str().unwrap(),
            dir.join("b-pipe.png").to_str().unwrap(),
        ],
        Duration::from_secs(30),
    );
    run.expect_code(0);
    run.expect_stderr_has(&["b-pipe.png", "skipped"]);
}

#[test]
fn threads_above_the_core_count_are_capped_with_a_message() {
    let sb = Sandbox::new();
    let (vote_dir, ballots) = vote_and_ballots(&sb, 1);
    let dir = sb.join("box");
    std::fs::create_dir_all(&dir).unwrap();
    ballots[0].save(dir.join("a.png")).unwrap();
    let run = run_with_deadline(
        &sb,
        &[
            "scan",
            vote_dir.to_str().unwrap(),
            dir.to_str().unwrap(),
            "--threads",
            "10000",
        ],
        Duration::from_secs(60),
    );
    run.expect_code(0);
    run.expect_stderr_has(&["--threads 10000", "core"]);
}

#[test]
fn scan_json_into_a_closed_pipe_stops_quietly() {
    let sb = Sandbox::new();
    let (vote_dir, _) = vote_and_ballots(&sb, 1);
    let dir = sb.join("box");
    std::fs::create_dir_all(&dir).unwrap();
    // Far more output than a pipe holds: 400 copies of one small picture (the first goes to
    // review, the others are the same bytes: `already_scanned`).
    let mut png = Vec::new();
    image::GrayImage::from_pixel(40, 40, image::Luma([255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    for i in 0..400 {
        std::fs::write(
            dir.join(format!("copy-{i:03}-{}.png", "x".repeat(150))),
            &png,
        )
        .unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args([
            "scan",
            vote_dir.to_str().unwrap(),
            dir.to_str().unwrap(),
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is gone (as `head -1` goes).
    assert!(first.starts_with('{'), "{first}");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
    use std::os::unix::process::ExitStatusExt;
    assert!(
        out.status.signal() == Some(libc::SIGPIPE) || out.status.success(),
        "{:?} {stderr}",
        out.status
    );
}

#[test]
fn a_multi_page_tiff_growing_in_the_watch_folder_is_read_once_whole() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let sb = Sandbox::new();
    let (vote_dir, ballots) = vote_and_ballots(&sb, 3);
    let folder = sb.join("scanner");
    std::fs::create_dir_all(&folder).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (folder, stop) = (folder.clone(), stop.clone());
        let ballots = ballots.clone();
        std::thread::spawn(move || {
            // The scanner adds a page every 300 ms: longer than the settle time.
            for n in 1..=3 {
                let bytes = encode(&ballots[..n], 150, ScanFormat::TiffGray).unwrap();
                write_in_place(&folder.join("box.tif"), &bytes);
                std::thread::sleep(Duration::from_millis(300));
            }
            std::thread::sleep(Duration::from_millis(2500));
            stop.store(true, Ordering::SeqCst);
        })
    };
    let mut vote = Vote::open(&vote_dir).unwrap();
    let cfg = kiemphieu::watch::WatchConfig {
        settle: Duration::from_millis(100),
        poll: Duration::from_millis(20),
        grace: Duration::from_secs(60),
        polling_only: true,
        unmarked_settle: Duration::from_millis(1000),
    };
    let mut pages = Vec::new();
    kiemphieu::watch::watch(
        &mut vote,
        &folder,
        &cfg,
        &stop,
        |s| pages.push((s.record.page, s.record.outcome)),
        |_| {},
    )
    .unwrap();
    writer.join().unwrap();
    assert_eq!(
        pages,
        vec![
            (1, Outcome::Counted),
            (2, Outcome::Counted),
            (3, Outcome::Counted)
        ]
    );
    assert_eq!(vote.store.sheets().unwrap().len(), 3);
}

/// Rewrites a file in place, as a scanner extends it (the same path, no rename).
fn write_in_place(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(path)
        .unwrap();
    f.write_all(bytes).unwrap();
    f.set_len(bytes.len() as u64).unwrap();
}

#[test]
fn a_link_loop_in_the_scan_folder_is_walked_once() {
    let sb = Sandbox::new();
    let dir = sb.join("box/inner");
    std::fs::create_dir_all(&dir).unwrap();
    image::GrayImage::new(50, 50)
        .save(dir.join("a.png"))
        .unwrap();
    std::os::unix::fs::symlink(sb.join("box"), dir.join("loop")).unwrap();
    let listing = kiemphieu::scan::list_files(&[sb.join("box")]).unwrap();
    assert_eq!(listing.files, vec![dir.join("a.png")]);
}
