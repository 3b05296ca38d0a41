//! Calibration report for the reading profile:
//! `cargo run --release --example calibrate -- [SHEETS] [SEED] [FORM]`
//! (defaults: 200 sheets at each of 150, 200 and 300 dpi, tuning seed 11, the example form).
//!
//! For empty and marked boxes (pen, HB–2B pencil, light pencil), each measure's distribution,
//! how the rule calls them, and the margins between the classes. Tuning seeds only: never run
//! it on the held-out seeds to choose a constant.
use kiemphieu::simulate::{FaultLevel, SimOptions};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let sheets: usize = a.get(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let seed: u64 = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(11);
    let form = a.get(3).map(std::path::PathBuf::from).unwrap_or_else(|| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/tin-nhiem-so-khcn.json")
    });
    let thresholds = kiemphieu::form::Form::load(&form)
        .map(|f| f.marks)
        .unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(2)
        });
    for dpi in [150, 200, 300] {
        let opts = SimOptions {
            seed,
            count: sheets,
            faults: FaultLevel::All,
            dpi: Some(dpi),
            ..SimOptions::default()
        };
        let dir = std::env::temp_dir().join(format!("kiemphieu-calibrate-{seed}-{dpi}"));
        let _ = std::fs::remove_dir_all(&dir);
        let (truth, records) =
            kiemphieu::accuracy::run_trial(&dir, &form, &opts).unwrap_or_else(|e| {
                eprintln!("error: {e}");
                std::process::exit(2)
            });
        let samples = kiemphieu::calibration::box_samples(&truth, &records);
        println!("== {dpi} dpi, seed {seed}, {sheets} sheets, all fault levels");
        print!("{}", kiemphieu::calibration::report(&samples, &thresholds));
        let acc = kiemphieu::accuracy::evaluate(&truth, &records);
        println!(
            "misread rows {}, clear sheets to review {} of {}, light-pencil sheets to review {} of {}\n",
            acc.misread_rows.len(),
            acc.clear_sent_to_review,
            acc.clear_sheets,
            acc.light_sent_to_review,
            acc.light_sheets
        );
    }
}
