//! The accuracy bar on a ballot box of 200 simulated sheets over every fault level, in every CI
//! run (the 1,000-sheet run is `cargo run --release --example accuracy`): no misread row on a
//! counted sheet, no forged, foreign, voided, duplicate or unstamped sheet counted, no file
//! without a record, and few clearly marked sheets sent to a person (at most 3 % here; the bar,
//! 0.5 %, is for the held-out runs of `examples/accuracy`).
//!
//! The seed here is a tuning seed; the README's held-out seed is never used in tests.

use kiemphieu::simulate::{FaultLevel, SimOptions};

#[test]
fn two_hundred_sheets_over_all_fault_levels_meet_the_bar() {
    let dir = tempfile::tempdir().unwrap();
    let form =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/tin-nhiem-so-khcn.json");
    let opts = SimOptions {
        seed: 7,
        count: 200,
        faults: FaultLevel::All,
        include_bad_inputs: true,
        forged: 4,
        foreign: 4,
        duplicates: 4,
        missing_stamp: 4,
        dpi: None,
    };
    let report = kiemphieu::accuracy::trial(dir.path(), &form, &opts).unwrap();
    let text = report.to_text();
    // The whole report, for `cargo test --test accuracy -- --nocapture`.
    println!("{text}");
    assert!(report.box_positions >= 200 * 9, "{text}");
    assert!(report.misread_rows.is_empty(), "{text}");
    assert!(report.not_genuine_counted.is_empty(), "{text}");
    assert!(report.unrecorded.is_empty(), "{text}");
    // The bar of the README is 0.5 % over at least 1,500 held-out sheets; 200 sheets cannot
    // tell 0.5 % from 1 % (one sheet in 180). Profile 4 sent 0.76 % of clear sheets to a person
    // on its held-out runs (about 1.4 ± 1.2 sheets of 180; 1 on this seed, where profile 3 sent
    // 4 and profile 2 sent 2), so this CI run is a tripwire at 3 %: a reader that sends ordinary
    // marks to a person again (half of them, before profile 2) fails it by far.
    assert!(report.review_rate() <= 0.03, "{text}");
}
