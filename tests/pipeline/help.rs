//! Every argument and option of every command has a help text (issue 11: `<VOTE>`, `--form`,
//! `--count`, `--convened`, `--json`, `--csv` and every `simulate` option had none).

use crate::common;

use common::Sandbox;

const COMMANDS: &[&[&str]] = &[
    &["init"],
    &["generate"],
    &["scan"],
    &["watch"],
    &["void"],
    &["meeting"],
    &["review"],
    &["review", "x", "list"],
    &["review", "x", "show"],
    &["review", "x", "decide"],
    &["tally"],
    &["demo"],
    &["simulate"],
    &["plan"],
    &["audit"],
    &["audit", "x", "sample"],
    &["serve"],
    &["committee", "add"],
    &["committee", "list"],
];

#[test]
fn every_argument_and_option_has_a_help_text() {
    let sb = Sandbox::new();
    for cmd in COMMANDS {
        let mut args: Vec<&str> = cmd.to_vec();
        args.push("--help");
        let run = sb.run(&args);
        run.expect_code(0);
        let mut entries = 0;
        for line in run.stdout.lines() {
            let t = line.trim_start();
            let indented = line.starts_with("  ");
            if !(indented && (t.starts_with('<') || t.starts_with('-'))) {
                continue;
            }
            entries += 1;
            // "  --name <VALUE>  Help text": the help follows two spaces.
            let help = t.split_once("  ").map(|(_, h)| h.trim()).unwrap_or("");
            assert!(
                !help.is_empty(),
                "`kiemphieu {} --help`: {t:?} has no help text\n{}",
                cmd.join(" "),
                run.stdout
            );
        }
        assert!(entries > 0, "no options listed for {cmd:?}");
    }
}

#[test]
fn sheet_reject_is_explained() {
    let sb = Sandbox::new();
    let run = sb.run(["review", "x", "decide", "--help"]);
    assert!(
        run.stdout.contains("reject (the same as invalid)"),
        "{}",
        run.stdout
    );
}
