//! Reads one scanned page and prints what the interpreter sees:
//! `cargo run --example read_page -- VOTE IMAGE [PROFILE]`.
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let vote = kiemphieu::vote::Vote::open(std::path::Path::new(&a[1])).unwrap();
    let bytes = std::fs::read(&a[2]).unwrap();
    let pages = kiemphieu::interpret::decode::decode_pages(&bytes).unwrap();
    let t = std::time::Instant::now();
    let mut marks = vote.form.marks;
    if let Some(p) = a.get(3).and_then(|s| s.parse().ok()) {
        marks.profile = Some(p);
    }
    let r = kiemphieu::interpret::interpret_page(&pages[0], &vote.layout, &marks);
    println!(
        "{:?}\n{:?}\nstamp {:?}\n{:?}",
        r.registration,
        r.qr,
        r.stamp_cover,
        t.elapsed()
    );
    for row in r.rows {
        println!("{row:?}");
    }
}
