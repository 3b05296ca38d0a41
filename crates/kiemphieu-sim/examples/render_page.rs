//! Renders one page of a ballot PDF to PNG: `cargo run --example render_page -- IN.pdf PAGE DPI OUT.png`.
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let pdf = kiemphieu::raster::PrintedPdf::load(std::fs::read(&a[1]).unwrap()).unwrap();
    let img = pdf
        .render(a[2].parse::<usize>().unwrap() - 1, a[3].parse().unwrap())
        .unwrap();
    img.save(&a[4]).unwrap();
}
