//! Times `generate`: `cargo run --release --example bench_generate -- [N] [FORM.json]`.
//!
//! Creates a vote in a temporary folder from the shipped example form (or FORM.json), prints N
//! ballots (default 1000) and reports the time, the pages, the PDF size and the time per ballot,
//! with the share spent rendering the PDF and the size of its largest parts.
//! Target: 1000 ballots in under 5 s and under 10 MB.

use std::path::PathBuf;
use std::time::Instant;

use kiemphieu::print::render_ballots;
use kiemphieu::raster::PrintedPdf;
use kiemphieu::serial::Serial;
use kiemphieu::vote::Vote;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = match args.next() {
        Some(a) => a
            .parse()
            .map_err(|_| anyhow::anyhow!("N must be a number, found {a:?}"))?,
        None => 1000,
    };
    let form = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("forms/tin-nhiem-so-khcn.json")
    });
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("vote");
    let mut vote = Vote::init(&dir, &form)?;

    let start = Instant::now();
    let batch = vote.generate(n)?;
    let total = start.elapsed().as_secs_f64();

    let bytes = std::fs::read(&batch.pdf)?;
    let pages = PrintedPdf::load(bytes.clone())?.page_count();
    let mb = bytes.len() as f64 / 1e6;
    println!("form      {}", form.display());
    println!("ballots   {n}");
    println!("seconds   {total:.3}");
    println!("pages     {pages}");
    println!(
        "pdf       {mb:.2} MB ({:.1} KB per ballot)",
        bytes.len() as f64 / 1e3 / n as f64
    );
    println!("per page  {:.3} ms", total * 1e3 / n as f64);

    // Where the time goes: rendering alone, on fresh serials (nothing registered).
    let serials: Vec<Serial> = (0..n).map(|_| Serial::random()).collect::<Result<_, _>>()?;
    let stamp = vote.stamp_image()?;
    let start = Instant::now();
    let again = render_ballots(&vote.form, &vote.layout, &serials, stamp.as_deref())?;
    let render = start.elapsed().as_secs_f64();
    println!(
        "render    {render:.3} s ({:.0}% of generate), {:.2} MB",
        100.0 * render / total,
        again.len() as f64 / 1e6
    );

    // What the bytes are: embedded fonts, compressed streams, per-page objects.
    let count = |needle: &[u8]| bytes.windows(needle.len()).filter(|w| *w == needle).count();
    println!(
        "objects   {} FontFile2, {} /Type /Page(s), {} FlateDecode streams",
        count(b"/FontFile2"),
        count(b"/Type /Page") + count(b"/Type/Page"),
        count(b"FlateDecode")
    );
    let verdict = if total < 5.0 && mb < 10.0 {
        "within"
    } else {
        "OUTSIDE"
    };
    println!("target    1000 ballots < 5 s and < 10 MB: {verdict} (for N = {n})");
    Ok(())
}
