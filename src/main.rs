//! The `kiemphieu` command: argument parsing, printing and exit codes over the library's API
//! (`kiemphieu::api`). Everything a command does is there; here it is only shown.

mod cli;
mod room_cmd;
mod show;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;
use kiemphieu::api::{self, ApiError, DemoEvent, Vote};
use kiemphieu::watch::WatchConfig;

use cli::{AuditAction, Cli, Command, ReviewAction};

/// Exit status of the contract: 0 done, 1 done but needs attention, 2 could not run.
const EXIT_ATTENTION: u8 = 1;
const EXIT_CANNOT_RUN: u8 = 2;

fn main() -> ExitCode {
    show::restore_sigpipe();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_CANNOT_RUN } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(h) = hint_of(&e) {
                eprintln!("hint: {h}");
            }
            ExitCode::from(EXIT_CANNOT_RUN)
        }
    }
}

/// What the user can do about the error that stopped the run: each library error gives its own
/// hint (never inside its message), whether it came through the API or straight from the vote.
fn hint_of(e: &anyhow::Error) -> Option<String> {
    if let Some(e) = e.downcast_ref::<ApiError>() {
        return e.hint();
    }
    let hint = if let Some(e) = e.downcast_ref::<kiemphieu::vote::VoteError>() {
        e.hint()
    } else if let Some(e) = e.downcast_ref::<kiemphieu::store::StoreError>() {
        e.hint()
    } else {
        None
    };
    hint.map(str::to_string)
}

/// 0, or 1 when something needs attention.
fn attention(needs: bool) -> u8 {
    if needs { EXIT_ATTENTION } else { 0 }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Init { vote, form } => {
            let v = Vote::init(&vote, &form)?;
            for w in v.form.warnings() {
                eprintln!("warning: form file {}: {w}", form.display());
            }
            println!(
                "created vote {} in {} ({} subjects)",
                v.form.id,
                vote.display(),
                v.form.subjects.len()
            );
            Ok(0)
        }
        Command::Generate { vote, count } => {
            let mut v = Vote::open(&vote)?;
            let b = v.generate(count)?;
            let (printed, voided) = v.store.printed_and_voided()?;
            println!(
                "printed batch {} with {} ballots: {}\n{} ballots printed in all, {} voided",
                b.batch,
                b.serials.len(),
                b.pdf.display(),
                printed,
                voided
            );
            Ok(0)
        }
        Command::Scan {
            vote,
            paths,
            json,
            annotate,
            threads,
        } => {
            show::set_threads(threads)?;
            let mut v = Vote::open(&vote)?;
            let opts = api::ScanOptions { annotate };
            let bar = show::Progress::new(&v, &paths, json)?;
            let run = api::scan(&mut v, &paths, &opts, |s| bar.sheet(s, json))?;
            bar.finish();
            show::scan_report(&run, &v.dir, json);
            Ok(attention(run.needs_attention()))
        }
        Command::Watch {
            vote,
            folder,
            json,
            settle_ms,
            poll_ms,
            poll_only,
            threads,
        } => {
            show::set_threads(threads)?;
            let mut v = Vote::open(&vote)?;
            let ms = std::time::Duration::from_millis;
            let cfg = WatchConfig::from_settle(ms(settle_ms), ms(poll_ms), poll_only);
            let stop = Arc::new(AtomicBool::new(false));
            let flag = stop.clone();
            ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
                .map_err(|e| anyhow::anyhow!("cannot catch Ctrl-C: {e}"))?;
            let mut status = show::WatchLine::new(&folder);
            let run = api::watch(
                &mut v,
                &folder,
                &cfg,
                &stop,
                |s| show::json_line(s.record, json),
                |s| status.show(s),
            )?;
            status.finish();
            show::watch_report(&run, json);
            Ok(attention(run.needs_attention()))
        }
        Command::Void {
            vote,
            paths,
            serial,
            all_unused,
            yes,
        } => {
            let mut v = Vote::open(&vote)?;
            if all_unused {
                return show::void_all_unused(&mut v, yes);
            }
            let d = api::void(&mut v, &paths, &serial)?;
            println!(
                "voided {} ballot(s); printed {}, voided {}, issued {}",
                d.count,
                d.printed,
                d.voided,
                d.issued()
            );
            Ok(0)
        }
        Command::Meeting {
            vote,
            convened,
            present,
            chair,
            member,
        } => {
            let mut v = Vote::open(&vote)?;
            let change = kiemphieu::meeting::MeetingChange {
                convened,
                present,
                chair,
                members: member,
            };
            let r = api::meeting(&mut v, &change)?;
            show::meeting(&r, &vote);
            Ok(0)
        }
        Command::Review { vote, action } => review(&vote, action),
        Command::Serve(args) => room_cmd::serve(args),
        Command::Committee { action } => room_cmd::committee(action),
        Command::Serials {
            vote,
            unused,
            counted,
            voided,
        } => {
            let v = Vote::open_read_only(&vote)?;
            show::serials(&api::serial_lines(&v)?, unused, counted, voided);
            Ok(0)
        }
        Command::Plan { vote, date, ics } => {
            let v = Vote::open(&vote)?;
            let (text, calendar) = api::plan(&v, date.as_deref())?;
            print!("{text}");
            if let Some(path) = ics {
                kiemphieu::vote::write_atomic(&path, calendar.as_bytes())?;
                println!("calendar written to {}", path.display());
            }
            Ok(0)
        }
        Command::Demo { out } => {
            let out = out.unwrap_or_else(api::default_out);
            let mut bar = None;
            api::demo(&out, |event| match event {
                DemoEvent::Line(l) => println!("{l}"),
                DemoEvent::ScanStarting { files } => bar = Some(show::Progress::bar(files, false)),
                DemoEvent::Sheet(s) => {
                    if let Some(b) = &bar {
                        b.sheet(s, false)
                    }
                }
                DemoEvent::Scanned(run, dir) => {
                    if let Some(b) = bar.take() {
                        b.finish()
                    }
                    show::scan_report(run, dir, false)
                }
                DemoEvent::Tallied(t) => print!("{}", t.to_text()),
                DemoEvent::Minutes(m) => show::minutes_written(m),
            })?;
            Ok(0)
        }
        Command::Simulate {
            vote,
            out,
            count,
            seed,
            faults,
            forged,
            foreign,
            duplicates,
            missing_stamp,
            bad_inputs,
        } => {
            let v = Vote::open(&vote)?;
            let opts = kiemphieu::simulate::SimOptions {
                seed,
                count,
                faults: faults.into(),
                include_bad_inputs: bad_inputs,
                forged,
                foreign,
                duplicates,
                missing_stamp,
                dpi: None,
            };
            let s = api::simulate(&v, &out, &opts)?;
            println!(
                "wrote {} sheets to {}; truth in {}",
                s.sheets,
                s.out.display(),
                s.truth.display()
            );
            Ok(0)
        }
        Command::Audit {
            vote,
            action: Some(AuditAction::Sample { count, seed, out }),
            ..
        } => {
            let v = Vote::open_read_only(&vote)?;
            let out = out.unwrap_or_else(|| PathBuf::from(format!("sample-{seed}.pdf")));
            show::sample(&api::sample(&v, count, seed, &out)?, seed);
            Ok(0)
        }
        Command::Audit {
            vote,
            action: None,
            images,
            json,
            expect,
        } => {
            // A mistyped head is refused before the vote is opened.
            let expect = expect.as_deref().map(api::parse_expect).transpose()?;
            let req = api::AuditRequest { images, expect };
            let v = Vote::open_read_only(&vote)?;
            let report = api::audit(&v, &req)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.to_text());
            }
            Ok(attention(!report.clean()))
        }
        Command::Tally {
            vote,
            json,
            csv,
            minutes,
            draft,
        } => {
            let v = Vote::open_read_only(&vote)?;
            let t = api::tally(&v)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&t)?);
            } else if csv {
                print!("{}", t.to_csv());
            } else {
                print!("{}", t.to_text());
            }
            if let Some(path) = minutes {
                show::minutes_written(&api::write_minutes(&v, &t, &path, draft)?);
            }
            // Figures that do not add up need the committee's attention.
            Ok(attention(!t.identity_holds))
        }
    }
}

fn review(vote: &std::path::Path, action: ReviewAction) -> anyhow::Result<u8> {
    match action {
        ReviewAction::List => {
            let v = Vote::open_read_only(vote)?;
            print!("{}", api::review_list(&v)?.to_text());
        }
        ReviewAction::Show { sheet, out } => {
            let v = Vote::open_read_only(vote)?;
            let view = api::show_sheet(&v, sheet)?;
            let out = out.unwrap_or_else(|| PathBuf::from(format!("review-{sheet}.png")));
            view.picture.save(&out).map_err(|e| ApiError::File {
                what: "write",
                path: out.clone(),
                reason: e.to_string(),
            })?;
            print!("{}", view.to_text());
            println!("picture: {}", out.display());
        }
        ReviewAction::Decide {
            sheet_id,
            by,
            sheet_action,
            serial,
            row,
            amend,
            reason,
        } => {
            let mut v = Vote::open(vote)?;
            let req = api::DecisionRequest {
                by: by.clone(),
                sheet: sheet_action.map(Into::into),
                serial,
                rows: row,
                amend: if amend { reason } else { None },
            };
            let re = if req.amend.is_some() {
                "re-decided"
            } else {
                "decided"
            };
            let d = api::decide(&mut v, sheet_id, req)?;
            println!("sheet {sheet_id} {re} by {by}: {}", d.description);
        }
    }
    Ok(0)
}
