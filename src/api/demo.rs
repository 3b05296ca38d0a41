//! `demo`: the whole pipeline on the bundled example form, into a folder of its own.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::audit::AuditReport;
use crate::meeting::{CHAIR, MEMBER, Meeting};
use crate::scan::ScannedSheet;
use crate::tally::Tally;

use super::{ApiError, MinutesWritten, ScanOptions, ScanRun, Vote};

/// The bundled example form, so that `demo` runs from any folder.
pub const EXAMPLE_FORM: &str = include_str!("../../forms/tin-nhiem-so-khcn.json");
/// Marks a folder made by `demo`, which a later `demo` may replace.
pub const DEMO_MARKER: &str = ".kiemphieu-demo";

/// What the demo is doing, step by step, for a front end to show.
pub enum DemoEvent<'a> {
    /// A line of the demo's own account.
    Line(String),
    /// The scan (step 6) is about to read this many files.
    ScanStarting { files: usize },
    /// A page recorded by the scan.
    Sheet(&'a ScannedSheet<'a>),
    /// The scan is done.
    Scanned(&'a ScanRun, &'a Path),
    /// The tally (step 8).
    Tallied(&'a Tally),
    /// The minutes are written.
    Minutes(&'a MinutesWritten),
}

/// Runs the demo into `out` (replacing an earlier demo there, never anything else).
pub fn demo(out: &Path, mut on: impl FnMut(DemoEvent)) -> Result<AuditReport, ApiError> {
    let io = |what: &'static str, path: &Path| {
        let path = path.to_owned();
        move |e: std::io::Error| ApiError::File {
            what,
            path,
            reason: e.to_string(),
        }
    };
    if out.exists() {
        let empty = std::fs::read_dir(out)
            .map_err(io("read", out))?
            .next()
            .is_none();
        if out.join(DEMO_MARKER).exists() {
            std::fs::remove_dir_all(out).map_err(io("remove", out))?;
        } else if !empty {
            return Err(ApiError::refused(
                format!("{} exists and was not made by demo", out.display()),
                "name another folder: kiemphieu demo OUT_DIR",
            ));
        }
    }
    std::fs::create_dir_all(out).map_err(io("create", out))?;
    let marker = out.join(DEMO_MARKER);
    std::fs::write(
        &marker,
        "made by kiemphieu demo; a later demo replaces this folder\n",
    )
    .map_err(io("write", &marker))?;
    let form = out.join("form.json");
    std::fs::write(&form, EXAMPLE_FORM).map_err(io("write", &form))?;
    let vote_dir = out.join("vote");
    let mut v = Vote::init(&vote_dir, &form)?;
    say(
        &mut on,
        format!(
            "1. init      {} ({} subjects)",
            vote_dir.display(),
            v.form.subjects.len()
        ),
    );
    let batch = v.generate(48)?;
    say(
        &mut on,
        format!(
            "2. generate  {} ballots -> {}",
            batch.serials.len(),
            batch.pdf.display()
        ),
    );
    let m = Meeting {
        convened: 45,
        present: 40,
        committee: vec![
            ("Phạm Văn X".into(), CHAIR.into()),
            ("Đỗ Thị Y".into(), MEMBER.into()),
            ("Hoàng Văn Z".into(), MEMBER.into()),
        ],
    };
    crate::review::record_meeting(&mut v, &m)?;
    say(
        &mut on,
        format!("3. meeting   {} of {} present", m.present, m.convened),
    );
    let scans = out.join("scans");
    let opts = crate::simulate::SimOptions {
        seed: 7,
        count: 40,
        faults: crate::simulate::FaultLevel::All,
        include_bad_inputs: false,
        forged: 2,
        foreign: 1,
        duplicates: 1,
        missing_stamp: 1,
        dpi: None,
    };
    let sim = crate::simulate::simulate(&v, &scans, &opts)?;
    say(
        &mut on,
        format!(
            "4. simulate  {} scanned sheets -> {} (truth: {})",
            sim.sheets,
            scans.display(),
            sim.truth.display()
        ),
    );
    // The ballots not handed out come back unused and are voided. The truth file was just
    // written: if it cannot be read, every serial would look unused and be voided, so stop.
    let truth = std::fs::read_to_string(&sim.truth).map_err(io("read", &sim.truth))?;
    let truth: crate::simulate::Truth =
        serde_json::from_str(&truth).map_err(|e| ApiError::File {
            what: "read",
            path: sim.truth.clone(),
            reason: e.to_string(),
        })?;
    let used: HashSet<String> = truth.sheets.into_iter().filter_map(|s| s.serial).collect();
    let unused: Vec<_> = v
        .store
        .serials()?
        .into_iter()
        .filter(|r| !used.contains(r.serial.as_str()))
        .map(|r| r.serial)
        .collect();
    let n = crate::void::void_serials(&mut v, &unused)?;
    say(
        &mut on,
        format!("5. void      {n} unused ballots returned and voided"),
    );
    let annotated = out.join("annotated");
    say(
        &mut on,
        format!(
            "6. scan      (annotated pictures in {})",
            annotated.display()
        ),
    );
    let paths = [scans];
    on(DemoEvent::ScanStarting {
        files: super::count_files(&v, &paths)?,
    });
    let scan_opts = ScanOptions {
        annotate: Some(annotated),
    };
    let run = super::scan(&mut v, &paths, &scan_opts, |s| on(DemoEvent::Sheet(s)))?;
    on(DemoEvent::Scanned(&run, &v.dir));
    say(&mut on, "7. review".into());
    for (s, why) in crate::review::pending(&v)? {
        say(
            &mut on,
            format!("   sheet {:>3} {}: {why}", s.id, s.record.file),
        );
    }
    say(&mut on, "8. tally".into());
    let t = super::tally(&v)?;
    on(DemoEvent::Tallied(&t));
    let minutes = out.join("bien-ban-kiem-phieu.pdf");
    let draft = !t.is_final || !t.identity_holds;
    let written = super::write_minutes(&v, &t, &minutes, draft)?;
    on(DemoEvent::Minutes(&written));
    say(
        &mut on,
        format!(
            "9. minutes   {}{}",
            minutes.display(),
            if !t.is_final {
                " (DỰ THẢO: sheets await review)"
            } else if !t.identity_holds {
                " (DỰ THẢO: the figures do not add up)"
            } else {
                ""
            }
        ),
    );
    let report = crate::audit::audit(&v, None)?;
    say(
        &mut on,
        format!(
            "10. audit    {} sheets re-read, {} difference(s)",
            report.sheets_checked,
            report.differences.len()
        ),
    );
    Ok(report)
}

fn say(on: &mut impl FnMut(DemoEvent), line: String) {
    on(DemoEvent::Line(line));
}

/// The default demo folder.
pub fn default_out() -> PathBuf {
    PathBuf::from("demo-vote")
}
